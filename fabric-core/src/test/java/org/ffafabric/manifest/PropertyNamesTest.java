package org.ffafabric.manifest;

import org.ffafabric.abi.PartitionProperties;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The properties word named in a manifest's own words, which written back into a manifest give the same word. */
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
                manifest = ManifestParser.parse(yaml(ManifestParser.propertyNames(properties)));
            }
            catch (final ManifestException ex)
            {
                continue;
            }
            assertEquals(properties, manifest.partitions().get(0).properties(), ManifestParser.propertyNames(properties));
            accepted++;
        }
        // Of the 512 mixes, AArch32 with DIRECT_REQ2 is refused: 3 in 4 of the AArch32 half.
        assertEquals(256 + 64, accepted);
    }

    @Test
    void theWordsAreInTheManifestsOrder()
    {
        assertEquals("direct-req-recv, direct-req-send, direct-req2-recv, direct-req2-send, indirect, notifications, " +
            "vm-created-messages, vm-destroyed-messages, aarch64", ManifestParser.propertyNames(0x7CF));
        assertEquals("none", ManifestParser.propertyNames(0));
        // Bits no manifest sets (a partition ID type, reserved bits) are shown as bits.
        assertEquals("direct-req-recv, 0x30", ManifestParser.propertyNames(0x31));
        assertEquals("aarch64, 0x80000000", ManifestParser.propertyNames(0x80000100));
    }

    /** An SP entry whose messaging and flags are the given words, every flag not named given as false. */
    private static String yaml(final String names)
    {
        final List<String> messaging = new ArrayList<>();
        final StringBuilder flags = new StringBuilder();
        final List<String> named = names.equals("none") ? List.of() : List.of(names.split(", "));
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
