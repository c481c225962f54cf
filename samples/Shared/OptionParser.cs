using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ModelGen.Samples;

/// <summary>A command line that cannot be run; the message says which argument and why.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>One option of a command: <c>--Name Value</c>, or a flag when <paramref name="Value"/> is null; <paramref name="Help"/> may span lines.</summary>
public sealed record CommandOption(string Name, string? Value, string Help);

/// <summary>What a trainer's command line asks for; each trainer adds a record per command.</summary>
public abstract record Command;

/// <summary><c>--help</c>: print <paramref name="Text"/> and exit 0.</summary>
public sealed record HelpCommand(string Text) : Command;

/// <summary>
/// One command of a program: its <paramref name="Name"/>, its <paramref name="Help"/>, and <paramref name="Parse"/>,
/// which reads the arguments from the given index on (0 when the command was not named).
/// </summary>
public sealed record CommandDefinition(string Name, string Help, Func<IReadOnlyList<string>, int, Command> Parse);

/// <summary>
/// The pieces of the samples' hand-written command-line parsers (NativeAOT-safe: no reflection).
/// <see cref="ParseCommand"/> picks the command; its options are <c>--name value</c> or <c>--name=value</c>; an unknown
/// name gets a "did you mean" hint, a repeated one is an error, and every value is checked by the Parse* helpers,
/// whose messages name the option and what it takes.
/// </summary>
public static class OptionParser
{
    /// <summary>
    /// Reads <paramref name="args"/>: a first argument that does not start with '-' names one of
    /// <paramref name="commands"/>, whose parser reads the rest; otherwise the first of them, the default, reads them
    /// all. <c>help</c> yields <paramref name="mainHelp"/>, <c>help COMMAND</c> that command's help. Throws
    /// <see cref="UsageException"/> for an unknown command, naming the known ones.
    /// </summary>
    public static Command ParseCommand(IReadOnlyList<string> args, string mainHelp, IReadOnlyList<CommandDefinition> commands)
    {
        ArgumentNullException.ThrowIfNull(args);
        int start = 0;
        string name = commands[0].Name;
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            name = args[0];
            start = 1;
        }
        if (FindCommand(commands, name) is CommandDefinition command) return command.Parse(args, start);
        if (name != "help") throw new UsageException($"unknown command '{name}'; the commands are {ListCommands(commands, markDefault: true)}.");
        if (args.Count > 2) throw new UsageException("'help' takes at most one command name.");
        if (args.Count == 1) return new HelpCommand(mainHelp);
        return new HelpCommand(FindCommand(commands, args[1])?.Help
            ?? throw new UsageException($"there is no command '{args[1]}'; the commands are {ListCommands(commands, markDefault: false)}."));
    }

    private static CommandDefinition? FindCommand(IReadOnlyList<CommandDefinition> commands, string name)
    {
        foreach (var command in commands)
        {
            if (command.Name == name) return command;
        }
        return null;
    }

    // "train and eval", or "train (the default) and eval"; three or more as "a, b and c".
    private static string ListCommands(IReadOnlyList<CommandDefinition> commands, bool markDefault)
    {
        var names = new string[commands.Count];
        for (int i = 0; i < names.Length; i++) names[i] = commands[i].Name;
        if (markDefault) names[0] += " (the default)";
        return names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " and " + names[^1];
    }

    /// <summary>
    /// Splits <paramref name="args"/> from <paramref name="start"/> into (name, value) pairs, checking names against
    /// <paramref name="known"/>, that values are present exactly where expected, and that no option repeats; every name
    /// is added to <paramref name="given"/>. <c>-h</c> or <c>--help</c> anywhere yields the single pair ("help", null).
    /// </summary>
    public static List<(string Name, string? Value)> Tokens(IReadOnlyList<string> args, int start, IReadOnlyList<CommandOption> known, HashSet<string> given)
    {
        var tokens = new List<(string, string?)>();
        for (int i = start; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                tokens.Clear();
                tokens.Add(("help", null));
                return tokens;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}'; options start with --, see --help.");
            string name = arg[2..];
            string? value = null;
            int equals = name.IndexOf('=');
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            CommandOption option = Find(known, name);
            if (option.Value is null)
            {
                if (value is not null) throw new UsageException($"--{name} takes no value, but was given '{value}'.");
            }
            else if (value is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    throw new UsageException($"--{name} needs a value ({option.Value}).");
                value = args[++i];
            }
            if (!given.Add(name)) throw new UsageException($"--{name} is given twice.");
            tokens.Add((name, value));
        }
        return tokens;
    }

    private static CommandOption Find(IReadOnlyList<CommandOption> known, string name)
    {
        foreach (var option in known)
        {
            if (option.Name == name) return option;
        }
        string? closest = null;
        int best = int.MaxValue;
        foreach (var option in known)
        {
            int distance = EditDistance(name, option.Name);
            if (distance < best) (best, closest) = (distance, option.Name);
        }
        string hint = closest is not null && best <= Math.Max(2, name.Length / 3) ? $" (did you mean --{closest}?)" : "";
        throw new UsageException($"unknown option --{name}{hint}; see --help.");
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>]; <paramref name="why"/> explains the bound in the error.</summary>
    public static int ParseInt(string name, string value, int min, int max, string why = "")
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int result) || result < min || result > max)
        {
            string range = max == int.MaxValue
                ? (min == int.MinValue ? "an integer" : $"an integer of at least {min}")
                : $"an integer from {min} to {max}{why}";
            throw new UsageException($"--{name} must be {range}, not '{value}'.");
        }
        return result;
    }

    /// <summary>A finite number, positive or (when <paramref name="positive"/> is false) non-negative.</summary>
    public static float ParseFloat(string name, string value, bool positive)
    {
        if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float result) || !float.IsFinite(result)
            || (positive ? result <= 0 : result < 0))
            throw new UsageException($"--{name} must be a {(positive ? "positive" : "non-negative")} finite number such as 0.001 or 1e-3, not '{value}'.");
        return result;
    }

    /// <summary><c>none</c> or <c>cosine</c>.</summary>
    public static LearningRateSchedule ParseSchedule(string value) => value switch
    {
        "none" => LearningRateSchedule.None,
        "cosine" => LearningRateSchedule.Cosine,
        _ => throw new UsageException($"--lr-schedule must be none or cosine, not '{value}'."),
    };

    /// <summary>A non-empty path.</summary>
    public static string ParsePath(string name, string value)
        => string.IsNullOrWhiteSpace(value) ? throw new UsageException($"--{name} needs a non-empty path.") : value;

    /// <summary>
    /// The help of one command: <c>Usage: program usage</c>, the summary, every option with its value and help in
    /// aligned columns, and the footer. Without <paramref name="header"/>, only the summary line, the options and the footer.
    /// </summary>
    public static string BuildCommandHelp(string program, string usage, string summary, IReadOnlyList<CommandOption> options, string footer, bool header = true)
    {
        var text = new StringBuilder();
        if (header)
        {
            text.AppendLine($"Usage: {program} {usage}");
            text.AppendLine();
        }
        text.AppendLine(summary);
        if (header)
        {
            text.AppendLine();
            text.AppendLine("Options:");
        }
        const int column = 22;
        foreach (var option in options)
        {
            string left = "  --" + option.Name + (option.Value is null ? "" : " " + option.Value);
            if (option.Name == "help") left = "  -h, --help";
            string[] lines = option.Help.Split('\n');
            text.Append(left.PadRight(column));
            if (left.Length >= column) text.AppendLine().Append(new string(' ', column));
            text.AppendLine(lines[0]);
            for (int i = 1; i < lines.Length; i++) text.Append(new string(' ', column)).AppendLine(lines[i]);
        }
        text.Append(footer.Length > 0 ? footer + Environment.NewLine : "");
        return text.ToString();
    }
}
