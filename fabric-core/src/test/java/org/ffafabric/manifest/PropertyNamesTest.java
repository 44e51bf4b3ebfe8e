package org.ffafabric.manifest;

import org.ffafabric.abi.PartitionProperties;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The properties word as the tools name it ({@link PartitionProperties#describe}), in a manifest's own words: written
 * back into a manifest, the names give the same word.
 */
class PropertyNamesTest
{
    private static final String U1 = "11111111-0000-0000-0000-000000000001";
    private static final List<String> FLAGS = List.of("notifications", "vm-created-messages", "vm-destroyed-messages", "aarch64");

    @Test
    void everyWordAManifestAcceptsIsNamedAsItIsWritten()
    {
        // The bits a manifest entry can set, each alone and every mix of them the builder accepts.
        int accepted = 0;
        for (int mix = 0; mix < 1 << 11; mix++)
        {
            final int properties = mix & ~PartitionProperties.ID_TYPE_MASK;
            if (properties != mix)
            {
                continue;
            }
            final Manifest manifest;
            try
            {
                manifest = ManifestParser.parse(yaml(PartitionProperties.describe(properties)));
            }
            catch (final ManifestException ex)
            {
                continue;
            }
            assertEquals(properties, manifest.partitions().get(0).properties(), PartitionProperties.describe(properties));
            accepted++;
        }
        // Of the 512 mixes, AArch32 with DIRECT_REQ2 is refused: 3 in 4 of the AArch32 half.
        assertEquals(256 + 64, accepted);
    }

    @Test
    void theWordsAreThoseAManifestWrites()
    {
        assertEquals("direct-req-recv|direct-req-send|indirect|notifications|vm-created-messages|vm-destroyed-messages|" +
            "aarch64|direct-req2-recv|direct-req2-send", PartitionProperties.describe(0x7CF));
        assertEquals("none", PartitionProperties.describe(0));
        // Bits no manifest sets: a partition ID type by its name, reserved bits in hex.
        assertEquals("direct-req-recv|id-type=aux", PartitionProperties.describe(0x31));
        assertEquals("aarch64|0x80000000", PartitionProperties.describe(0x80000100));
    }

    /** An SP entry whose messaging and flags are the given words, every flag not named given as false. */
    private static String yaml(final String names)
    {
        final List<String> messaging = new ArrayList<>();
        final StringBuilder flags = new StringBuilder();
        final List<String> named = names.equals("none") ? List.of() : List.of(names.split("\\|"));
        for (final String name : named)
        {
            if (!FLAGS.contains(name))
            {
                messaging.add(name);
            }
        }
        for (final String flag : FLAGS)
        {
            flags.append(", ").append(flag).append(": ").append(named.contains(flag));
        }
        return "partitions:\n  - {name: sp, id: 0x8001, world: sp-el1, uuid: " + U1 + ", messaging: [" +
            String.join(", ", messaging) + "]" + flags + "}\n";
    }
}
