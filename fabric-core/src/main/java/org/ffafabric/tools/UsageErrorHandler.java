package org.ffafabric.tools;

import picocli.CommandLine;

import java.util.List;

/**
 * How the {@code ffa} tool and the latency tool ({@code ffa bench}) tell a user's mistake in a
 * command's options or values: in one line under the command's name, with picocli's near-miss
 * suggestion for a mistaken option or command and a pointer to {@code --help}, not the whole usage
 * after it. A command given no arguments at all, whose mistake is that nothing was asked, gets the usage.
 * <p>
 * Picocli is an optional dependency of this module: the tools that use this class bring it.
 */
public final class UsageErrorHandler implements CommandLine.IParameterExceptionHandler
{
    @Override
    public int handleParseException(final CommandLine.ParameterException ex, final String[] args)
    {
        final CommandLine commandLine = ex.getCommandLine();
        if (args.length == 0)
        {
            // Nothing asked: the usage says what can be.
            commandLine.getErr().println(ex.getMessage());
            commandLine.usage(commandLine.getErr());
        }
        else
        {
            final String name = commandLine.getCommandSpec().qualifiedName();
            final List<String> meant = ex instanceof CommandLine.UnmatchedArgumentException ?
                ((CommandLine.UnmatchedArgumentException)ex).getSuggestions() : List.of();
            commandLine.getErr().println(name + ": " + ex.getMessage() +
                (meant.isEmpty() ? "" : "; did you mean " + String.join(" or ", meant) + "?") +
                " (see " + name + " --help)");
        }
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }
}
