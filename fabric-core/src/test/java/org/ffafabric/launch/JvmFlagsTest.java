package org.ffafabric.launch;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The copies of the parent pom's JVM flags (passed in by Surefire) agree with it. */
class JvmFlagsTest
{
    private static final String POM_FLAGS = System.getProperty("ffa.pom.jvm.flags");
    private static final String POM_JDK24_FLAGS = System.getProperty("ffa.pom.jvm.flags.jdk24");

    @Test
    void jdk17GetsThePomFlagsOnly()
    {
        assertNotNull(POM_FLAGS, "Surefire passes the pom's flags");
        assertEquals(POM_FLAGS, String.join(" ", JvmFlags.flags(17)));
        assertFalse(JvmFlags.flags(23).contains("--enable-native-access=ALL-UNNAMED"));
    }

    @Test
    void jdk24AddsTheModernFlags()
    {
        assertNotNull(POM_JDK24_FLAGS, "Surefire passes the pom's JDK 24+ flags");
        assertEquals(POM_FLAGS + " " + POM_JDK24_FLAGS, String.join(" ", JvmFlags.flags(24)));
    }

    @Test
    void theFfaScriptPassesThePomFlags() throws Exception
    {
        final String script = Files.readString(Path.of("..", "ffa"), StandardCharsets.UTF_8);
        assertEquals(POM_FLAGS, words(script, "flags=\\("), "ffa's flags");
        assertEquals(POM_JDK24_FLAGS, words(script, "flags\\+=\\("), "ffa's JDK 24+ flags");
    }

    @Test
    void surefireRunsWithTheFlags()
    {
        assertTrue(JvmFlags.inForce());
    }

    /** The words of a bash array assignment, across lines, joined by single spaces. */
    private static String words(final String script, final String opening)
    {
        final Matcher m = Pattern.compile(opening + "([^)]*)\\)").matcher(script);
        assertTrue(m.find(), "no " + opening + " in the ffa script");
        return String.join(" ", m.group(1).trim().split("\\s+"));
    }
}
