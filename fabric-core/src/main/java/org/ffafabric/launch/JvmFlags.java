package org.ffafabric.launch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The JVM flags Agrona, Aeron and Chronicle need, for the JDK that is running: the same set the
 * parent pom keeps in {@code ffa.jvm.flags} and, on JDK 24+, {@code ffa.jvm.flags.modern}.
 * JMH forks and the latency tool's child processes are launched with these so that nobody
 * types them.
 */
public final class JvmFlags
{
    /** First JDK feature release that warns on, and later refuses, sun.misc.Unsafe memory access. */
    public static final int MODERN_FEATURE_RELEASE = 24;

    private static final List<String> BASE = List.of(
        "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true");

    // JDK 17 refuses to start with these, so they are added only where they exist.
    private static final List<String> MODERN = List.of(
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow");

    private JvmFlags()
    {
    }

    /** The flags for the running JDK, each option and its value as separate arguments. */
    public static List<String> flags()
    {
        return flags(Runtime.version().feature());
    }

    /** The flags for a JDK of the given feature release. */
    public static List<String> flags(final int featureRelease)
    {
        if (featureRelease < MODERN_FEATURE_RELEASE)
        {
            return BASE;
        }

        final List<String> flags = new ArrayList<>(BASE);
        flags.addAll(MODERN);
        return Collections.unmodifiableList(flags);
    }

    /** The flags as one command-line string, e.g. for a launch script. */
    public static String commandLine()
    {
        return String.join(" ", flags());
    }

    /**
     * Whether the running JVM was started with the flags: true when {@code jdk.internal.misc}
     * is open to the unnamed module, which is what Agrona's buffers need.
     */
    public static boolean inForce()
    {
        return Object.class.getModule().isOpen("jdk.internal.misc", JvmFlags.class.getModule());
    }
}
