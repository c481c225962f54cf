using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace ModelGen.Samples.Words;

/// <summary>Which part of the data a word belongs to.</summary>
public enum Split
{
    /// <summary>Trained on (80% of the words).</summary>
    Train,

    /// <summary>Measured after every epoch, to choose settings by (10%).</summary>
    Validation,

    /// <summary>Measured once at the end (10%).</summary>
    Test,
}

/// <summary>
/// The words of a dictionary file, lower-cased, kept when they are made of the letters a–z only, de-duplicated,
/// sorted, and split into train, validation and test by a hash of each word, so a word's part depends on the word
/// alone: not on the file's order, on the other words, or on the process (string.GetHashCode is randomised per process).
/// </summary>
public sealed class WordList
{
    /// <summary>Debian's <c>wamerican</c> word list, the default.</summary>
    public const string DefaultPath = "/usr/share/dict/american-english";

    /// <summary>What to do when the default list is missing.</summary>
    public const string InstallHint = "install the word list with: apt-get update && apt-get install -y wamerican";

    private WordList(string source, int lines, int skipped, string[] train, string[] validation, string[] test)
    {
        Source = source;
        Lines = lines;
        Skipped = skipped;
        Train = train;
        Validation = validation;
        Test = test;
    }

    /// <summary>Where the words came from.</summary>
    public string Source { get; }

    /// <summary>Non-empty lines read.</summary>
    public int Lines { get; }

    /// <summary>Lines left out: with a character other than a–z after lower-casing (apostrophes, accents), or repeated.</summary>
    public int Skipped { get; }

    /// <summary>The training words, in ordinal order.</summary>
    public string[] Train { get; }

    /// <summary>The validation words, in ordinal order.</summary>
    public string[] Validation { get; }

    /// <summary>The test words, in ordinal order.</summary>
    public string[] Test { get; }

    /// <summary>
    /// 32-bit FNV-1a of the word's UTF-8 bytes (offset basis 2166136261, prime 16777619): stable across processes,
    /// machines and .NET versions.
    /// </summary>
    public static uint Fnv1a(string word)
    {
        uint hash = 2166136261;
        Span<byte> buffer = stackalloc byte[256];
        int count = Encoding.UTF8.GetByteCount(word);
        Span<byte> bytes = count <= buffer.Length ? buffer[..count] : new byte[count];
        Encoding.UTF8.GetBytes(word, bytes);
        foreach (byte b in bytes)
        {
            hash ^= b;
            hash *= 16777619;
        }
        return hash;
    }

    /// <summary>The part of <paramref name="word"/>: FNV-1a mod 10 is 0–7 train, 8 validation, 9 test.</summary>
    public static Split SplitOf(string word) => (Fnv1a(word) % 10) switch
    {
        < 8 => Split.Train,
        8 => Split.Validation,
        _ => Split.Test,
    };

    /// <summary>
    /// Makes sure the default list exists, as the MNIST trainer fetches its data: when it is missing on a Debian
    /// machine where this process may install packages (root, apt-get on PATH), installs <c>wamerican</c> with
    /// apt-get, saying so on <paramref name="log"/>. Anywhere else a missing list stays missing, and
    /// <see cref="Load"/> then says how to get it.
    /// </summary>
    public static void EnsureDefault(TextWriter log)
    {
        if (File.Exists(DefaultPath) || !OperatingSystem.IsLinux() || Environment.UserName != "root" || FindOnPath("apt-get") is not { } aptGet)
            return;
        log.WriteLine($"words: {DefaultPath} is missing; installing Debian's wamerican with apt-get");
        foreach (string arguments in new[] { "update -qq", "install -y -qq wamerican" })
        {
            var start = new ProcessStartInfo(aptGet, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                log.WriteLine($"words: apt-get {arguments} failed (exit code {process.ExitCode}): {output.Trim()}");
                return;
            }
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Reads <paramref name="path"/> (one word per line, UTF-8); a missing file is a <see cref="FileNotFoundException"/> that says how to get one.</summary>
    public static WordList Load(string path)
    {
        if (!File.Exists(path))
        {
            string hint = Path.GetFullPath(path) == DefaultPath ? InstallHint : $"give a word list (one word per line) with --words FILE, or {InstallHint}";
            throw new FileNotFoundException($"There is no word list at {path}; {hint}.", path);
        }
        return FromLines(File.ReadLines(path, Encoding.UTF8), path);
    }

    /// <summary>Builds the split from <paramref name="lines"/>; <paramref name="source"/> names them in messages.</summary>
    public static WordList FromLines(IEnumerable<string> lines, string source)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        int count = 0, skipped = 0;
        foreach (string line in lines)
        {
            string word = line.Trim();
            if (word.Length == 0) continue;
            count++;
            word = word.ToLowerInvariant();
            if (!Vocabulary.IsWord(word) || !words.Add(word)) skipped++;
        }
        if (words.Count == 0) throw new InvalidDataException($"{source} holds no word of the letters a-z only ({count} lines read).");
        var parts = new[] { new List<string>(), new List<string>(), new List<string>() };
        foreach (string word in words) parts[(int)SplitOf(word)].Add(word);
        foreach (var part in parts) part.Sort(StringComparer.Ordinal);
        return new WordList(source, count, skipped, parts[0].ToArray(), parts[1].ToArray(), parts[2].ToArray());
    }

    /// <summary>The words of <paramref name="split"/>.</summary>
    public string[] Of(Split split) => split switch
    {
        Split.Train => Train,
        Split.Validation => Validation,
        Split.Test => Test,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };

    /// <summary>
    /// The same split with only <paramref name="trainWords"/> training and <paramref name="heldOutWords"/> validation and
    /// test words (all when null), spread evenly through each sorted part (word ⌊i·count/n⌋ for i &lt; n) so that a
    /// small subset still covers the alphabet.
    /// </summary>
    public WordList Take(int? trainWords, int? heldOutWords)
    {
        static string[] Spread(string[] words, int? n)
        {
            if (n is not int k || k >= words.Length) return words;
            var chosen = new string[k];
            for (int i = 0; i < k; i++) chosen[i] = words[(int)((long)i * words.Length / k)];
            return chosen;
        }
        return new WordList(Source, Lines, Skipped, Spread(Train, trainWords), Spread(Validation, heldOutWords), Spread(Test, heldOutWords));
    }
}
