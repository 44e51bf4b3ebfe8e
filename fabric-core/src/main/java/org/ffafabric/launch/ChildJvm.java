package org.ffafabric.launch;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM that runs like this one: the same java binary, the same
 * class path, this JVM's own arguments (heap, system properties such as Aeron's) and the
 * {@link JvmFlags} when they are not there already; and its process ({@link #processBuilder}).
 */
public final class ChildJvm
{
    private static final List<String> OPTIONS_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS");

    private ChildJvm()
    {
    }

    /** The java binary of this JVM. */
    public static String javaBinary()
    {
        return ProcessHandle.current().info().command()
            .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * This JVM's arguments less debugger, agent and JMX remote options (a second JVM can not take the
     * same debug or JMX port), plus the {@link JvmFlags} it lacks. They include the options it took from its
     * environment ({@link #processBuilder}).
     */
    public static List<String> jvmArguments()
    {
        final List<String> inherited = new ArrayList<>();
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (!arg.startsWith("-agentlib:") && !arg.startsWith("-agentpath:") &&
                !arg.startsWith("-javaagent:") && !arg.startsWith("-Xrunjdwp") && !arg.startsWith("-Xdebug") &&
                !arg.startsWith("-Dcom.sun.management.jmxremote"))
            {
                inherited.add(arg);
            }
        }

        final List<String> args = new ArrayList<>(inherited);
        final List<String> flags = JvmFlags.flags();
        for (int i = 0; i < flags.size(); i++)
        {
            final String flag = flags.get(i);
            // The JVM reports "--add-opens X" as "--add-opens=X", so compare in that form.
            final boolean takesValue = flag.equals("--add-opens") || flag.equals("--add-exports");
            final String joined = takesValue ? flag + "=" + flags.get(++i) : flag;
            if (!inherited.contains(joined))
            {
                args.add(joined);
            }
        }

        return args;
    }

    /**
     * A process builder for a command that runs a child JVM, directly or through a wrapper, in this
     * environment less the variables a JVM takes options from: JAVA_TOOL_OPTIONS and _JAVA_OPTIONS (HotSpot)
     * and JDK_JAVA_OPTIONS (the java launcher). Their options are among this JVM's arguments, so the child
     * has them from {@link #jvmArguments}, less its agents; from the variables it would have those too.
     *
     * @param command the command, e.g. {@link #command}'s.
     * @return the builder, to redirect and start.
     */
    public static ProcessBuilder processBuilder(final List<String> command)
    {
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeAll(OPTIONS_VARIABLES);
        return builder;
    }

    /**
     * The full command that runs a main class in a new JVM like this one.
     *
     * @param mainClass the class whose main to run.
     * @param mainArgs  its arguments.
     * @return the command, ready for a {@link ProcessBuilder}.
     */
    public static List<String> command(final Class<?> mainClass, final List<String> mainArgs)
    {
        final List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(jvmArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(mainArgs);
        return command;
    }

    /**
     * Whether a process runs {@code mainClass}, as a {@link #command} of it does, by its whole command
     * line in /proc: {@link ProcessHandle.Info} gives no arguments for a long one and cuts its command line
     * at 4096 bytes, before the main class once the class path is long. False once it has gone, and off Linux.
     *
     * @param process   the process, a child of this JVM say.
     * @param mainClass the main class to look for.
     * @return true when its command line names the class.
     */
    public static boolean runs(final ProcessHandle process, final Class<?> mainClass)
    {
        try
        {
            final byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            // NUL-separated arguments: the class name is one of them.
            return List.of(new String(cmdline, StandardCharsets.UTF_8).split("\u0000")).contains(mainClass.getName());
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
