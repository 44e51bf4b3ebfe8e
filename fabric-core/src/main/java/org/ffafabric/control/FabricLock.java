package org.ffafabric.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The owner of a fabric directory: {@code fabric.lock}, the first file a partition manager makes in
 * its new directory, locked from before its first memory file until the directory is gone. The
 * kernel drops the lock when its process dies, however it dies, so a directory whose lock is free
 * was left by a dead manager, and one whose lock is held is being made, run or removed: at once,
 * and across PID namespaces, where a PID says nothing and a heartbeat starts only with the control
 * file.
 * <p>
 * The file is locked before it has its name (made as {@code fabric.lock.<hex>}, then linked), so that
 * name never shows it unlocked while its manager lives. The lock is a POSIX one, held by the
 * process: closing any channel to the file in this JVM would drop it, so a lock this JVM holds is
 * known here by its file's key and its file is never opened again.
 * <p>
 * A held lock is not always its manager's: a launch removing a dead manager's directory, its own or
 * one beside, holds it meanwhile. The file keeps the PID of the process that made it, which a take
 * leaves as it was, to tell the two apart ({@link #isMakerRunning}).
 */
public final class FabricLock implements AutoCloseable
{
    public static final String FILE_NAME = "fabric.lock";
    /** A lock file not yet linked under its name: {@code fabric.lock.} and hex digits. */
    public static final String MAKING_PATTERN = "fabric\\.lock\\.[0-9a-f]+";
    /**
     * A directory being removed, renamed beside its old name ({@code .ffa-tomb-} and hex digits): out
     * of sight of a launch, a sweep of {@code ffa-*} and a tool, and its old name free.
     */
    public static final String TOMB_PREFIX = "." + FabricDirectory.PREFIX + "tomb-";

    // File keys of the locks this JVM holds, to the PID in each; guards every open, lock and release here.
    private static final Map<Object, Maker> HELD = new HashMap<>();

    private final Path directory;
    private final FileChannel channel;
    private final Object fileKey;

    private FabricLock(final Path directory, final FileChannel channel, final Object fileKey)
    {
        this.directory = directory;
        this.channel = channel;
        this.fileKey = fileKey;
    }

    public static Path file(final Path directory)
    {
        return directory.resolve(FILE_NAME);
    }

    /**
     * Makes and locks the lock of a directory, holding this process's PID for a reader; null when
     * the directory has one already (another launch got there first) or has gone.
     */
    public static FabricLock create(final Path directory)
    {
        final Path making = directory.resolve(FILE_NAME + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
        synchronized (HELD)
        {
            final FileChannel channel;
            try
            {
                channel = FileChannel.open(making, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            catch (final NoSuchFileException ex)
            {
                return null;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot make the fabric lock in " + directory, ex);
            }
            try
            {
                // A new file nobody else has opened: the lock is free.
                channel.lock();
                final Maker maker = Maker.self();
                channel.write(ByteBuffer.wrap((maker.pid + " " + maker.startMark + "\n").getBytes(StandardCharsets.US_ASCII)));
                Files.createLink(file(directory), making);
                final Object key = attributes(file(directory)).fileKey();
                HELD.put(key, maker);
                return new FabricLock(directory, channel, key);
            }
            catch (final FileAlreadyExistsException | NoSuchFileException ex)
            {
                closeQuietly(channel);
                return null;
            }
            catch (final IOException ex)
            {
                closeQuietly(channel);
                throw new UncheckedIOException("cannot make the fabric lock in " + directory, ex);
            }
            finally
            {
                deleteQuietly(making);
            }
        }
    }

    /**
     * Takes the lock of a directory whose manager has died; null when its lock is held (by a live
     * manager, or by this JVM), or the directory has no lock, or one that is not a regular file (a FIFO, a
     * link), which no manager makes.
     */
    public static FabricLock tryTake(final Path directory)
    {
        final Path file = file(directory);
        synchronized (HELD)
        {
            try
            {
                final Object key = attributes(file).fileKey();
                if (HELD.containsKey(key))
                {
                    return null;
                }
                final FileChannel channel = open(file);
                boolean taken = false;
                try
                {
                    // Still the file looked at: one removed and made again since is another manager's.
                    taken = channel.tryLock() != null && key.equals(attributes(file).fileKey());
                }
                finally
                {
                    if (!taken)
                    {
                        closeQuietly(channel);
                    }
                }
                if (!taken)
                {
                    return null;
                }
                HELD.put(key, maker(channel));
                return new FabricLock(directory, channel, key);
            }
            catch (final IOException ex)
            {
                // Gone since the look, not ours to open, or no lock at all: not a directory to remove.
                return null;
            }
        }
    }

    /**
     * True when the process that made a directory's lock runs: its PID is alive, and started no
     * later than the lock was made, so not a later process given the same PID. False when there is
     * no lock, or no PID in it to tell by. A lock held by a process that is not its maker is held by a
     * launch removing the directory for a dead manager's.
     * <p>
     * A PID from another PID namespace says nothing here: it may name a process that is not there,
     * or another one. A lock this JVM holds is answered from memory: its file is never opened.
     *
     * @throws IllegalStateException when the lock is not a regular file (a FIFO, a link): no manager made it,
     *                               and it is not opened.
     */
    public static boolean isMakerRunning(final Path directory)
    {
        final Path file = file(directory);
        final Maker maker;
        final long madeMs;
        synchronized (HELD)
        {
            try
            {
                final BasicFileAttributes attributes = attributes(file);
                madeMs = attributes.lastModifiedTime().toMillis();
                maker = maker(file, attributes);
            }
            catch (final NotALockFileException ex)
            {
                throw new IllegalStateException(directory + " is not a fabric directory: its " + FILE_NAME + " is " +
                    ex.getReason() + " (give a new or empty directory)");
            }
            catch (final IOException ex)
            {
                return false;
            }
        }
        // A lock of a build that wrote no start mark: the file's time, on a wall clock that may have been stepped.
        return maker.startMark > 0 ? ProcessLiveness.isAliveSinceStart(maker.pid, maker.startMark) :
            ProcessLiveness.isAliveSince(maker.pid, madeMs);
    }

    /**
     * The PID of the process that made a directory's lock, for a user to be told which process runs the
     * fabric: 0 when there is no lock, or no PID in it. The PID may have ended since, or, from another PID
     * namespace, name another process here: {@link #isMakerRunning} says whether it runs.
     */
    public static long makerPid(final Path directory)
    {
        final Path file = file(directory);
        synchronized (HELD)
        {
            try
            {
                return maker(file, attributes(file)).pid;
            }
            catch (final IOException ex)
            {
                // No lock, or not a regular file: no maker to name.
                return 0;
            }
        }
    }

    /** The maker of a lock that {@link #attributes} found a regular file; called under {@link #HELD}. */
    private static Maker maker(final Path file, final BasicFileAttributes attributes) throws IOException
    {
        final Maker held = HELD.get(attributes.fileKey());
        if (held != null)
        {
            return held;
        }
        // Not this JVM's: closing the channel drops no lock of ours.
        try (FileChannel channel = open(file))
        {
            return maker(channel);
        }
    }

    /** Who made a lock: the PID and the start mark written in it ("pid mark"; a PID alone from older builds). */
    private static final class Maker
    {
        private static final int MAX_LENGTH = 48;

        final long pid;
        final long startMark;

        private Maker(final long pid, final long startMark)
        {
            this.pid = pid;
            this.startMark = startMark;
        }

        static Maker self()
        {
            final long pid = ProcessHandle.current().pid();
            return new Maker(pid, ProcessLiveness.startMark(pid));
        }
    }

    /** The maker a lock names; PID 0 when it names none. */
    private static Maker maker(final FileChannel channel)
    {
        try
        {
            final ByteBuffer buffer = ByteBuffer.allocate(Maker.MAX_LENGTH);
            channel.read(buffer, 0);
            final String[] fields = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim().split(" ");
            return new Maker(Long.parseLong(fields[0]), fields.length > 1 ? Long.parseLong(fields[1]) : 0);
        }
        catch (final IOException | NumberFormatException ex)
        {
            return new Maker(0, 0);
        }
    }

    /**
     * Opens a lock file that {@link #attributes} found a regular file. A FIFO put in its place since
     * cannot hold the open up, as one for reading alone would until a writer came (Linux opens a FIFO
     * for both at once, and a positional read of one fails), and a link is not followed.
     */
    private static FileChannel open(final Path file) throws IOException
    {
        return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * A lock file's attributes, its link not followed, refused ({@link NotALockFileException}) when it is not
     * a regular file, before anything opens it: a manager makes only that, while anyone may put a FIFO there
     * (whose open for reading would wait for a writer, under {@link #HELD}, holding up every launch in this
     * JVM) or a link to anyone's file.
     */
    private static BasicFileAttributes attributes(final Path file) throws IOException
    {
        final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isRegularFile())
        {
            throw new NotALockFileException(file, attributes.isSymbolicLink() ? "a symbolic link" :
                attributes.isDirectory() ? "a directory" : "a FIFO, a socket or a device");
        }
        return attributes;
    }

    /** A lock file that is not a regular file: its reason says what it is. */
    private static final class NotALockFileException extends FileSystemException
    {
        private static final long serialVersionUID = 1L;

        NotALockFileException(final Path file, final String what)
        {
            super(file.toString(), null, what + ", not a regular file");
        }
    }

    public Path directory()
    {
        return directory;
    }

    /**
     * Removes the directory, the lock's file last, and then lets the lock go: until the last moment
     * nobody else can take the directory for a dead one and remove what a new launch puts there.
     * It is first renamed to a tomb beside it, so its name is free at once (a launch waiting on it
     * goes on), nobody sees it half removed, and a launch making it again meanwhile is never touched.
     */
    public void deleteDirectory()
    {
        final Path doomed = entombed();
        try (Stream<Path> entries = Files.list(doomed))
        {
            entries.filter(p -> !p.getFileName().toString().equals(FILE_NAME))
                .forEach(FabricLock::deleteTree);
        }
        catch (final IOException ignore)
        {
            // Gone already.
        }
        deleteQuietly(file(doomed));
        deleteQuietly(doomed);
        close();
    }

    /**
     * The directory renamed to a tomb beside it, its lock going with the file; or as it is, to be
     * removed in place, when it cannot be: a tomb already, a link (renamed, the link would go and
     * what it names would stay), no parent, or a rename refused (a mount point, a read-only parent).
     */
    private Path entombed()
    {
        final Path parent = directory.toAbsolutePath().getParent();
        if (parent == null || isTomb(directory) || !Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS))
        {
            return directory;
        }
        final Path tomb = parent.resolve(TOMB_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
        try
        {
            return Files.move(directory, tomb, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return directory;
        }
    }

    public static boolean isTomb(final Path directory)
    {
        final Path name = directory.getFileName();
        return name != null && name.toString().startsWith(TOMB_PREFIX);
    }

    /**
     * Removes a tomb its remover left part way by dying: its lock free, or its lock's file gone, the
     * last thing removed before the directory. One whose lock is held is being removed: left alone.
     */
    public static void removeTomb(final Path tomb)
    {
        final FabricLock lock = tryTake(tomb);
        if (lock != null)
        {
            lock.deleteDirectory();
        }
        else if (!Files.exists(file(tomb)))
        {
            deleteTree(tomb);
        }
    }

    /** Lets the lock go, leaving the directory: the next launch takes it for a dead manager's. */
    public void close()
    {
        synchronized (HELD)
        {
            if (channel.isOpen())
            {
                HELD.remove(fileKey);
                closeQuietly(channel);
            }
        }
    }

    private static void closeQuietly(final FileChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // The lock goes with the descriptor either way.
        }
    }

    /**
     * Removes a file or a tree, never through a symbolic link: the link goes, not what it names (an
     * ffa-* directory beside a launch may be anyone's, with a link to the launching user's files).
     */
    private static void deleteTree(final Path path)
    {
        try
        {
            Files.walkFileTree(path, new SimpleFileVisitor<>()
            {
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs)
                {
                    deleteQuietly(file);
                    return FileVisitResult.CONTINUE;
                }

                public FileVisitResult visitFileFailed(final Path file, final IOException ex)
                {
                    return FileVisitResult.CONTINUE;
                }

                public FileVisitResult postVisitDirectory(final Path dir, final IOException ex)
                {
                    deleteQuietly(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException ignore)
        {
            // Left for the next launch's sweep.
        }
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final DirectoryNotEmptyException ignore)
        {
            // A launch that found no lock here has made a file since: the directory is its now.
        }
        catch (final IOException ignore)
        {
            // Left for the next launch's sweep.
        }
    }
}
