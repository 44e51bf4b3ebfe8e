package org.ffafabric.launch;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A JVM given an agent through its environment (JAVA_TOOL_OPTIONS, as a debugger's setup does): its
 * child JVMs run without the agent, as they do without one given on the command line (a second JVM
 * cannot listen on the same debug port: "bind failed"), and with the variable's other options.
 */
class ChildJvmTest
{
    /** Listens on a port of the kernel's choosing, so that two JVMs with it cannot clash here. */
    private static final String AGENT = "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0";

    @ParameterizedTest
    @ValueSource(strings = {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"})
    @Timeout(120)
    void aChildJvmHasTheOptionsOfItsParentsEnvironmentButNotItsAgents(final String variable) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(ChildJvm.javaBinary(), "-cp",
            System.getProperty("java.class.path"), Parent.class.getName())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().keySet().removeAll(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"));
        builder.environment().put(variable, "-Dffa.test.kept=" + variable + " " + AGENT);
        final Process parent = builder.start();
        try
        {
            final String out = new String(parent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(parent.waitFor(60, TimeUnit.SECONDS), "the parent ends");
            assertEquals(0, parent.exitValue(), out);
            assertTrue(out.lines().anyMatch(line -> line.equals("parent agents: [" + AGENT + "]")),
                () -> "the parent has the agent: " + out);
            assertTrue(out.lines().anyMatch(line -> line.equals("child agents: []")), out);
            assertTrue(out.lines().anyMatch(line -> line.equals("child kept: " + variable)), out);
        }
        finally
        {
            parent.destroyForcibly().waitFor();
        }
    }

    /**
     * A JVM listening for JMX on a port: a child given the same port would fail to start ("Port already
     * in use"), so children run without the JMX remote agent's options.
     */
    @org.junit.jupiter.api.Test
    @Timeout(120)
    void aChildJvmHasNoJmxRemotePortOfItsParent() throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(ChildJvm.javaBinary(), "-cp",
            System.getProperty("java.class.path"),
            "-Dcom.sun.management.jmxremote.port=0", "-Dcom.sun.management.jmxremote.authenticate=false",
            "-Dcom.sun.management.jmxremote.ssl=false", Parent.class.getName())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().keySet().removeAll(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"));
        final Process parent = builder.start();
        try
        {
            final String out = new String(parent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(parent.waitFor(60, TimeUnit.SECONDS), "the parent ends");
            assertEquals(0, parent.exitValue(), out);
            assertTrue(out.lines().anyMatch(line -> line.equals("child jmx port: null")), out);
        }
        finally
        {
            parent.destroyForcibly().waitFor();
        }
    }

    /** Runs a {@link Child} as ChildJvm has it, and says which agents it has itself. */
    public static final class Parent
    {
        public static void main(final String[] args) throws Exception
        {
            System.out.println("parent agents: " + agents());
            System.out.flush();
            final Process child = ChildJvm.processBuilder(ChildJvm.command(Child.class, List.of()))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .start();
            child.getOutputStream().close();
            if (!child.waitFor(60, TimeUnit.SECONDS))
            {
                child.destroyForcibly();
                System.exit(2);
            }
            System.exit(child.exitValue());
        }
    }

    /** Says which agents it has, and the option the parent's environment gave. */
    public static final class Child
    {
        public static void main(final String[] args)
        {
            System.out.println("child agents: " + agents());
            System.out.println("child kept: " + System.getProperty("ffa.test.kept"));
            System.out.println("child jmx port: " + System.getProperty("com.sun.management.jmxremote.port"));
        }
    }

    private static List<String> agents()
    {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(arg -> arg.startsWith("-agentlib:")).toList();
    }
}
