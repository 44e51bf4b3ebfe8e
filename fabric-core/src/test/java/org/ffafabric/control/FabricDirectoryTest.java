package org.ffafabric.control;

import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Which directory a Context ends up with: what the code sets beats what the system properties
 * say, and a directory beats a name. A fabric named in code (EmbeddedFabric's unique names) must
 * not land in the one directory {@code -Dffa.fabric.dir} gives.
 */
class FabricDirectoryTest
{
    private static final Path CONFIGURED = Paths.get("/nonexistent/ffa-configured");
    private String savedDirectory;
    private String savedName;

    @BeforeEach
    void configure()
    {
        savedDirectory = System.getProperty(FabricDirectory.DIRECTORY_PROP_NAME);
        savedName = System.getProperty(FabricDirectory.FABRIC_NAME_PROP_NAME);
        System.setProperty(FabricDirectory.DIRECTORY_PROP_NAME, CONFIGURED.toString());
        System.setProperty(FabricDirectory.FABRIC_NAME_PROP_NAME, "configured-name");
    }

    @AfterEach
    void restore()
    {
        restore(FabricDirectory.DIRECTORY_PROP_NAME, savedDirectory);
        restore(FabricDirectory.FABRIC_NAME_PROP_NAME, savedName);
    }

    @Test
    void aNameSetInCodeBeatsTheConfiguredDirectory()
    {
        assertEquals(FabricDirectory.defaultPath("mine"), new FabricClient.Context().fabricName("mine").conclude().directory());
        assertEquals(FabricDirectory.defaultPath("mine"), FabricDirectory.resolve(null, "mine"));
    }

    @Test
    void aDirectorySetInCodeBeatsEverything()
    {
        final Path mine = Paths.get("/nonexistent/ffa-mine");
        assertEquals(mine, new FabricClient.Context().fabricName("other").directory(mine).conclude().directory());
        assertEquals(mine, new FabricClient.Context().directory(mine).fabricName("other").conclude().directory());
    }

    @Test
    void withNothingSetTheConfiguredDirectoryBeatsTheConfiguredName()
    {
        assertEquals(CONFIGURED, new FabricClient.Context().conclude().directory());
        System.clearProperty(FabricDirectory.DIRECTORY_PROP_NAME);
        assertEquals(FabricDirectory.defaultPath("configured-name"), new FabricClient.Context().conclude().directory());
    }

    /** An empty path would be the working directory: a launch there would take it for an empty fabric's. */
    @Test
    void anEmptyDirectoryIsRefused()
    {
        final IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> FabricDirectory.resolve(Paths.get(""), "mine"));
        assertEquals("the fabric directory is an empty path: give a directory", refused.getMessage());
    }

    /**
     * A directory named as a tomb ({@link FabricLock#TOMB_PREFIX}) is one being removed to a launch beside
     * it, which removes it when it has no lock (a launch making it has none yet) or a free one; a
     * launch there ran, hidden from the ffa-* sweep and the tools, and could lose its directory.
     */
    @Test
    void aDirectoryNamedAsATombIsRefused(@TempDir final Path parent)
    {
        final Path tomb = parent.resolve(FabricLock.TOMB_PREFIX + "mine");
        for (final Path given : new Path[]{tomb, tomb.resolve("sub").resolve("..")})
        {
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> FabricDirectory.resolve(given, "mine"), given::toString);
            assertEquals(given + " is named as a fabric directory being removed (" + FabricLock.TOMB_PREFIX +
                "...), which a launch beside it removes: give another name", refused.getMessage());
        }
        System.setProperty(FabricDirectory.DIRECTORY_PROP_NAME, tomb.toString());
        assertThrows(IllegalArgumentException.class, () -> new FabricClient.Context().conclude(), "as configured");
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1"))
            .build();
        assertThrows(IllegalArgumentException.class,
            () -> PartitionManager.launch(new PartitionManager.Context().directory(tomb).manifest(manifest)).close());
        assertFalse(Files.exists(tomb), "nothing made");
    }

    @Test
    void thePartitionManagersContextResolvesAlike()
    {
        // Its conclude needs a manifest; the directory it resolves is the same rule's.
        final PartitionManager.Context ctx = new PartitionManager.Context().fabricName("mine");
        assertEquals(FabricDirectory.defaultPath("mine"), FabricDirectory.resolve(ctx.directory(), "mine"));
        assertEquals(null, ctx.directory(), "nothing set in code: resolved at conclude");
    }

    private static void restore(final String name, final String value)
    {
        if (value == null)
        {
            System.clearProperty(name);
        }
        else
        {
            System.setProperty(name, value);
        }
    }
}
