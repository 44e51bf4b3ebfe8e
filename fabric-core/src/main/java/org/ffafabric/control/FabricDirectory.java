package org.ffafabric.control;

import org.agrona.IoUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The fabric directory: owner-only (0700) and holding owner-only (0600) files.
 * <pre>
 *   /dev/shm/ffa-&lt;name&gt;/
 *     fabric.lock         the partition manager's lock ({@link FabricLock}): held while it makes or runs the fabric
 *     fabric.ctl          control file (partition table, ownership and state words, counters)
 *     mem-&lt;id&gt;.dat       each endpoint's memory: its own address space of 4K pages
 *     aeron/              the embedded media driver's directory
 * </pre>
 */
public final class FabricDirectory
{
    /** Names the fabric: its default directory is /dev/shm/ffa-&lt;name&gt;. */
    public static final String FABRIC_NAME_PROP_NAME = "ffa.fabric.name";
    public static final String FABRIC_NAME_DEFAULT = "default";
    /** Names the fabric directory outright, overriding the name. */
    public static final String DIRECTORY_PROP_NAME = "ffa.fabric.dir";

    public static final String DEFAULT_PARENT = "/dev/shm";
    public static final String PREFIX = "ffa-";
    public static final String AERON_DIR = "aeron";

    private FabricDirectory()
    {
    }

    /** The default location for a fabric name: /dev/shm when present, else the temp dir. */
    public static Path defaultPath(final String fabricName)
    {
        final Path shm = Paths.get(DEFAULT_PARENT);
        final Path parent = Files.isDirectory(shm) ? shm : Paths.get(System.getProperty("java.io.tmpdir"));
        return parent.resolve(PREFIX + fabricName);
    }

    /** The fabric name from the system properties, or the default. */
    public static String configuredName()
    {
        return System.getProperty(FABRIC_NAME_PROP_NAME, FABRIC_NAME_DEFAULT);
    }

    /** The fabric directory from the system properties, or null when only a name is given. */
    public static Path configuredDirectory()
    {
        final String dir = System.getProperty(DIRECTORY_PROP_NAME);
        return dir != null ? Paths.get(dir) : null;
    }

    /**
     * The directory a Context ends up with: the one set in code, else the default for the name set in
     * code, else {@link #configuredDirectory}, else the default for {@link #configuredName}. What code
     * sets beats what the properties say, so a fabric named in code never lands in the configured one.
     * A directory named as a tomb ({@link FabricLock#TOMB_PREFIX}) is refused: a launch beside removes
     * a tomb with no lock (one being made has none yet) or a free one, taking it for a removal cut short.
     */
    public static Path resolve(final Path directory, final String fabricName)
    {
        if (directory != null && directory.toString().isEmpty())
        {
            // The working directory: a launch would remove it, if empty, to make it again owner-only.
            throw new IllegalArgumentException("the fabric directory is an empty path: give a directory");
        }
        final Path resolved;
        if (directory != null)
        {
            resolved = directory;
        }
        else if (fabricName != null)
        {
            resolved = defaultPath(fabricName);
        }
        else
        {
            final Path configured = configuredDirectory();
            resolved = configured != null ? configured : defaultPath(configuredName());
        }
        if (FabricLock.isTomb(resolved.toAbsolutePath().normalize()))
        {
            throw new IllegalArgumentException(resolved + " is named as a fabric directory being removed (" +
                FabricLock.TOMB_PREFIX + "...), which a launch beside it removes: give another name");
        }
        return resolved;
    }

    /** The file system a path is, or will be, on: that of its nearest existing ancestor. */
    public static FileStore fileStore(final Path path)
    {
        Path existing = path.toAbsolutePath();
        while (!Files.exists(existing) && existing.getParent() != null)
        {
            existing = existing.getParent();
        }
        try
        {
            return Files.getFileStore(existing);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** The bytes left for {@code path} on {@code store}, its file system. */
    public static long usableSpace(final FileStore store, final Path path)
    {
        try
        {
            return store.getUsableSpace();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot tell the room left for " + path, ex);
        }
    }

    public static Path controlFile(final Path directory)
    {
        return directory.resolve(ControlFileDescriptor.FILE_NAME);
    }

    public static Path memoryFile(final Path directory, final int partitionId)
    {
        return directory.resolve(String.format("mem-%04x.dat", partitionId));
    }

    public static Path aeronDirectory(final Path directory)
    {
        return directory.resolve(AERON_DIR);
    }

    public static void createOwnerOnlyDirectory(final Path directory)
    {
        try
        {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        catch (final FileAlreadyExistsException ex)
        {
            throw new IllegalStateException("fabric directory already exists: " + directory, ex);
        }
        catch (final NoSuchFileException ex)
        {
            // Not made for it: the fabric removes its own directory only, and would leave the parents behind.
            throw new IllegalStateException("cannot make the fabric directory " + directory + ": " +
                directory.toAbsolutePath().getParent() + " does not exist", ex);
        }
        catch (final IOException ex)
        {
            throw cannotMake(directory, ex);
        }
    }

    /** One line for a user: the directory and the system's reason, without the exception's class and path again. */
    public static IllegalStateException cannotMake(final Path directory, final IOException ex)
    {
        final String reason = ex instanceof java.nio.file.AccessDeniedException ? "permission denied" :
            ex instanceof java.nio.file.FileSystemException && ((java.nio.file.FileSystemException)ex).getReason() != null ?
            ((java.nio.file.FileSystemException)ex).getReason() : ex.toString();
        return new IllegalStateException("cannot make the fabric directory " + directory + ": " + reason +
            " in " + directory.toAbsolutePath().getParent(), ex);
    }

    /**
     * Maps the whole of an existing file, read-write; NoSuchFileException when it is not there. Never
     * creates it, as a RandomAccessFile would: a reader that comes as the fabric is removed must not
     * leave an empty file behind in the directory.
     */
    public static MappedByteBuffer mapExisting(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
        }
    }

    public static void createOwnerOnlyFile(final Path file)
    {
        try
        {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Removes the directory and everything in it; quiet when it is already gone. */
    public static void delete(final Path directory)
    {
        IoUtil.delete(directory.toFile(), true);
    }
}
