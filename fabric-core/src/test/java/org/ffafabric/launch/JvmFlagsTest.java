package org.ffafabric.launch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JvmFlagsTest
{
    private static final String POM_FLAGS = "--add-opens java.base/jdk.internal.misc=ALL-UNNAMED " +
        "--add-opens java.base/java.util.zip=ALL-UNNAMED --add-opens java.base/java.lang.reflect=ALL-UNNAMED " +
        "--add-exports java.base/sun.nio.ch=ALL-UNNAMED --add-exports java.base/jdk.internal.ref=ALL-UNNAMED " +
        "-Dchronicle.analytics.disable=true";

    @Test
    void jdk17GetsThePomFlagsOnly()
    {
        assertEquals(POM_FLAGS, String.join(" ", JvmFlags.flags(17)));
        assertFalse(JvmFlags.flags(23).contains("--enable-native-access=ALL-UNNAMED"));
    }

    @Test
    void jdk24AddsTheModernFlags()
    {
        assertEquals(POM_FLAGS + " --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow",
            String.join(" ", JvmFlags.flags(24)));
    }

    @Test
    void surefireRunsWithTheFlags()
    {
        assertTrue(JvmFlags.inForce());
    }
}
