package org.ffafabric.bench;

import org.ffafabric.launch.JvmFlags;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Main-Class of {@code ffa-bench.jar}: JMH's own command line, with the {@link JvmFlags} appended
 * to every fork's JVM arguments so that {@code java -jar bench/target/ffa-bench.jar -prof gc}
 * needs nothing else typed. Behaves as {@code org.openjdk.jmh.Main} otherwise.
 */
public final class BenchMain
{
    private BenchMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        try
        {
            final CommandLineOptions cmdOptions = new CommandLineOptions(args);
            final Runner runner = new Runner(withJvmFlags(cmdOptions));

            if (cmdOptions.shouldHelp())
            {
                cmdOptions.showHelp();
            }
            else if (cmdOptions.shouldList())
            {
                runner.list();
            }
            else if (cmdOptions.shouldListWithParams())
            {
                runner.listWithParams(cmdOptions);
            }
            else if (cmdOptions.shouldListProfilers())
            {
                cmdOptions.listProfilers();
            }
            else if (cmdOptions.shouldListResultFormats())
            {
                cmdOptions.listResultFormats();
            }
            else
            {
                runner.run();
            }
        }
        catch (final CommandLineOptionException ex)
        {
            System.err.println("Error parsing command line:");
            System.err.println(" " + ex.getMessage());
            System.exit(1);
        }
        catch (final RunnerException ex)
        {
            System.err.print("ERROR: ");
            ex.printStackTrace(System.err);
            System.exit(1);
        }
    }

    /**
     * The command line's options with the {@link JvmFlags} after any {@code -jvmArgsAppend} given
     * there, so a caller's own appended arguments are kept.
     */
    public static Options withJvmFlags(final CommandLineOptions cmdOptions)
    {
        final List<String> append = new ArrayList<>();
        final Collection<String> given = cmdOptions.getJvmArgsAppend().orElse(List.of());
        append.addAll(given);
        append.addAll(JvmFlags.flags());

        return new OptionsBuilder()
            .parent(cmdOptions)
            .jvmArgsAppend(append.toArray(new String[0]))
            .build();
    }
}
