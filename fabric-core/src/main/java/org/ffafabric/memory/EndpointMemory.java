package org.ffafabric.memory;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.control.FabricDirectory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * An endpoint's memory: its own address space of 4K pages, backed by a memory-mapped file.
 * <p>
 * Addresses in FF-A calls (RXTX_MAP's buffers, memory-region constituents) are addresses in
 * this space, starting at the fabric's memory base, so address 0 is never valid. The
 * partition manager maps every endpoint's memory to fill RX buffers in place.
 */
public final class EndpointMemory implements AutoCloseable
{
    public static final int PAGE_SIZE = 4096;
    public static final long PAGE_MASK = PAGE_SIZE - 1;
    private static final int RESERVE_CHUNK = 1024 * 1024;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final long base;
    private final long size;

    private EndpointMemory(final MappedByteBuffer mapped, final long base)
    {
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.base = base;
        this.size = mapped.capacity();
    }

    /**
     * Creates the owner-only backing file, every page of it written (zero), and maps it. The memory
     * is reserved here, as firmware carves a partition's memory out at boot: a sparse file put off
     * the allocation to the first write of each page, and where the file system had no room left
     * then, that write through the mapping faulted (SIGBUS) in whoever made it.
     */
    public static EndpointMemory create(final Path file, final long size, final long base)
    {
        FabricDirectory.createOwnerOnlyFile(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            final FileChannel channel = raf.getChannel();
            final ByteBuffer zeros = ByteBuffer.allocateDirect((int)Math.min(size, RESERVE_CHUNK));
            for (long position = 0; position < size; )
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), size - position));
                position += channel.write(zeros, position);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot reserve " + size + " bytes of memory in " + file, ex);
        }
        return open(file, base);
    }

    public static EndpointMemory open(final Path file, final long base)
    {
        try
        {
            return new EndpointMemory(FabricDirectory.mapExisting(file), base);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot map the endpoint memory " + file, ex);
        }
    }

    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    public long base()
    {
        return base;
    }

    public long size()
    {
        return size;
    }

    /** True when [address, address + length) lies wholly inside this memory. */
    public boolean contains(final long address, final long length)
    {
        return length >= 0 && address >= base && address - base <= size - length;
    }

    public static boolean isPageAligned(final long address)
    {
        return (address & PAGE_MASK) == 0;
    }

    /** Offset of an address in the backing buffer; check {@link #contains} first. */
    public int offsetOf(final long address)
    {
        return (int)(address - base);
    }

    /** Unmaps the file; the buffer is emptied first, so a stale access throws rather than faults. */
    public void close()
    {
        buffer.wrap(0, 0);
        IoUtil.unmap(mapped);
    }
}
