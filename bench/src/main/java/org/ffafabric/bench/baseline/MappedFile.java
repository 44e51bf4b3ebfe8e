package org.ffafabric.bench.baseline;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file mapped read-write, viewed as an {@link UnsafeBuffer}. Closing unmaps it; deleting the
 * file is the creator's job.
 */
public final class MappedFile implements AutoCloseable
{
    private final Path path;
    private MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;

    private MappedFile(final Path path, final MappedByteBuffer mapped)
    {
        this.path = path;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
    }

    /** Creates a new zero-filled file of the length and maps it; fails if the file exists. */
    public static MappedFile create(final Path path, final int length) throws IOException
    {
        try (FileChannel channel = FileChannel.open(
            path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            // Mapping past the end extends the file with zeros.
            return new MappedFile(path, channel.map(FileChannel.MapMode.READ_WRITE, 0, length));
        }
    }

    /** Maps an existing file whole. */
    public static MappedFile open(final Path path) throws IOException
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            return new MappedFile(path, channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size()));
        }
    }

    public Path path()
    {
        return path;
    }

    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    @Override
    public void close()
    {
        if (null != mapped)
        {
            // Unmap now rather than at some GC, and leave the view empty so a late access fails
            // with a bounds error instead of a crash.
            buffer.wrap(new byte[0]);
            IoUtil.unmap(mapped);
            mapped = null;
        }
    }
}
