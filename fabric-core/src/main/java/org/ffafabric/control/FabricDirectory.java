package org.ffafabric.control;

import org.agrona.IoUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The fabric directory: owner-only (0700) and holding owner-only (0600) files.
 * <pre>
 *   /dev/shm/ffa-&lt;name&gt;/
 *     fabric.ctl          control file (partition table, ownership and state words)
 *     mem-&lt;id&gt;.dat       each endpoint's memory: its own address space of 4K pages
 *     aeron/              the embedded media driver's directory
 * </pre>
 */
public final class FabricDirectory
{
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
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
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
