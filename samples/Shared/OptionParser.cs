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
/// The pieces of the samples' hand-written command-line parsers (NativeAOT-safe: no reflection). Options are
/// <c>--name value</c> or <c>--name=value</c>; an unknown name gets a "did you mean" hint, a repeated one is an error,
/// and every value is checked by the Parse* helpers, whose messages name the option and what it takes.
/// </summary>
public static class OptionParser
{
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
