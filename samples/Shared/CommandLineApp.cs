using System;
using System.IO;

namespace ModelGen.Samples;

/// <summary>The exit codes and the error handling every trainer's command line shares.</summary>
public static class CommandLineApp
{
    /// <summary>Success.</summary>
    public const int ExitOk = 0;

    /// <summary>A runtime error: missing data, an unreadable or mismatched file.</summary>
    public const int ExitError = 1;

    /// <summary>A bad command line.</summary>
    public const int ExitUsage = 2;

    /// <summary>The loss or the weights became NaN or infinite.</summary>
    public const int ExitDiverged = 3;

    /// <summary>
    /// Parses with <paramref name="parse"/> and runs the command: a <see cref="HelpCommand"/> by writing its text to
    /// <paramref name="output"/>, any other with <paramref name="execute"/>. A <see cref="UsageException"/> becomes
    /// <see cref="ExitUsage"/> (with a pointer to --help when the command line itself is wrong) and a file problem
    /// <see cref="ExitError"/>, each reported on <paramref name="error"/> after the program's <paramref name="name"/>.
    /// </summary>
    public static int Run(string name, Func<Command> parse, Func<Command, int> execute, TextWriter output, TextWriter error)
    {
        Command command;
        try
        {
            command = parse();
        }
        catch (UsageException e)
        {
            error.WriteLine($"{name}: {e.Message}");
            error.WriteLine($"Run '{name} --help' for the commands and options.");
            return ExitUsage;
        }

        try
        {
            if (command is HelpCommand help)
            {
                output.Write(help.Text);
                return ExitOk;
            }
            return execute(command);
        }
        catch (UsageException e)
        {
            error.WriteLine($"{name}: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            output.Flush();
            error.WriteLine($"{name}: error: {e.Message}");
            return ExitError;
        }
    }

    /// <summary>
    /// The exit code of a finished training run: <see cref="ExitDiverged"/> when it diverged, after reporting why on
    /// <paramref name="error"/> as "<paramref name="name"/>: stopped: …"; else <see cref="ExitOk"/>.
    /// </summary>
    public static int ExitCodeOf(string name, RunResult result, TextWriter output, TextWriter error)
    {
        if (result.Outcome != TrainOutcome.Diverged) return ExitOk;
        output.Flush();
        error.WriteLine($"{name}: stopped: {result.Error}");
        return ExitDiverged;
    }
}
