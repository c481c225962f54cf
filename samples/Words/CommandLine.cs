using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using static ModelGen.Samples.OptionParser;

namespace ModelGen.Samples.Words;

/// <summary><c>words train</c> (also what no command means).</summary>
public sealed record TrainCommand(TrainerOptions Options) : Command;

/// <summary><c>words sample</c>.</summary>
public sealed record SampleCommand(SampleOptions Options) : Command;

/// <summary>
/// The command line of <c>words</c>, on the samples' shared <see cref="OptionParser"/> (NativeAOT-safe: no
/// reflection). Every value is checked here so a bad one fails before any data is read.
/// </summary>
public static class CommandLine
{
    /// <summary>The program's name, as the help and the messages print it.</summary>
    internal const string Program = "words";

    private static readonly string s_dropoutDefault = WordModelShape.DropoutP.ToString(CultureInfo.InvariantCulture);

    private static readonly CommandOption[] s_trainOptions =
    [
        new("epochs", "N", $"epochs of the run (default {TrainerOptions.DefaultEpochs})"),
        new("lr", "X", $"peak learning rate of AdamW (default {TrainerOptions.DefaultLearningRate.ToString(CultureInfo.InvariantCulture)})"),
        new("lr-schedule", "S", "none | cosine (default cosine): cosine decays the learning rate from --lr to 0 over the\nwhole run, step by step"),
        new("weight-decay", "X", $"AdamW's decoupled weight decay (default {TrainerOptions.DefaultWeightDecay.ToString(CultureInfo.InvariantCulture)})"),
        new("batch", "N", $"contexts per training step, 1 to {WordModelShape.BatchSize} (the model's batch capacity; default {WordModelShape.BatchSize})"),
        new("dropout", "P", $"0 | {s_dropoutDefault} (default {s_dropoutDefault}): Dropout's p before the head; p is fixed when the\nmodel is compiled, so each value is its own model class (0: WordModelNoDropout)"),
        new("seed", "N", "seed of the initialisation, the Dropout masks, every epoch's shuffle and the samples\n(default 0); equal seeds give bit-identical runs"),
        new("words", "FILE", $"the word list, one word per line (default {WordList.DefaultPath},\nDebian's wamerican)"),
        new("limit", "N", "train on only N training words, spread evenly through the alphabet (default all)"),
        new("held-out-limit", "N", "measure only N validation and N test words, spread evenly (default all)"),
        new("temperature", "T", $"temperature of the words sampled at the end (default {TrainerOptions.DefaultTemperature.ToString(CultureInfo.InvariantCulture)}); lower is\nmore typical, higher more varied"),
        new("samples", "N", $"how many words to sample at the end (default {TrainerOptions.DefaultSamples})"),
        new("out", "DIR", "parent of the run folder words-<yyyyMMdd-HHmmss>[-n] (default runs)"),
        new("no-plot", null, "do not draw loss.png"),
        new("quiet", null, "no progress display; epoch summaries and the result are still printed"),
        new("help", null, "show this help"),
    ];

    private static readonly CommandOption[] s_sampleOptions =
    [
        new("weights", "FILE", "a model.safetensors or checkpoint.safetensors written by 'words train' (required)"),
        new("count", "N", $"how many words (default {TrainerOptions.DefaultSamples})"),
        new("temperature", "T", $"sampling temperature (default {TrainerOptions.DefaultTemperature.ToString(CultureInfo.InvariantCulture)})"),
        new("seed", "N", "seed of the draws (default 0)"),
        new("prefix", "TEXT", "letters (a-z) every word starts with (default none)"),
        new("help", null, "show this help"),
    ];

    /// <summary>The overview printed by <c>words --help</c>.</summary>
    public static string MainHelp { get; } = BuildMainHelp();

    /// <summary>The help of <c>words train</c>.</summary>
    public static string TrainHelp { get; } = BuildCommandHelp(Program, "train [options]",
        "Trains the character-level language model and writes a run folder.", s_trainOptions, TrainFooter);

    /// <summary>The help of <c>words sample</c>.</summary>
    public static string SampleHelp { get; } = BuildCommandHelp(Program, "sample --weights FILE [options]",
        "Samples words from saved weights, in eval mode (Dropout off).", s_sampleOptions, "");

    // The default command comes first. Declared below the helps it holds: static initialisers run in textual order.
    private static readonly CommandDefinition[] s_commands = [new("train", TrainHelp, ParseTrain), new("sample", SampleHelp, ParseSample)];

    private const string TrainFooter = """

        Every loss is the mean cross-entropy of the next character in nats per character, the word's end included.
        The bigram baseline counts character pairs of the training words with add-one smoothing. The words are split
        80/10/10 into train/validation/test by the FNV-1a hash of each word. The run folder holds loss.csv
        (step,epoch,loss), loss.png, model.safetensors, checkpoint.safetensors and run.txt (the settings).

        Exit codes: 0 done, 1 an error (word list, files), 2 a bad command line, 3 the loss became NaN or infinite.
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> with a message naming the bad argument.</summary>
    public static Command Parse(IReadOnlyList<string> args) => ParseCommand(args, MainHelp, s_commands);

    private static Command ParseTrain(IReadOnlyList<string> args, int start)
    {
        var options = new TrainerOptions();
        foreach (var (name, value) in Tokens(args, start, s_trainOptions, new HashSet<string>(StringComparer.Ordinal)))
        {
            if (name == "help") return new HelpCommand(start == 0 ? MainHelp : TrainHelp);
            options = name switch
            {
                "epochs" => options with { Epochs = ParseInt(name, value!, 1, 100_000) },
                "lr" => options with { LearningRate = ParseFloat(name, value!, positive: true) },
                "lr-schedule" => options with { Schedule = ParseSchedule(value!) },
                "weight-decay" => options with { WeightDecay = ParseFloat(name, value!, positive: false) },
                "batch" => options with { Batch = ParseInt(name, value!, 1, WordModelShape.BatchSize, " (the model's batch capacity)") },
                "dropout" => options with { Dropout = ParseDropout(value!) },
                "seed" => options with { Seed = ParseInt(name, value!, int.MinValue, int.MaxValue) },
                "words" => options with { WordsPath = ParsePath(name, value!) },
                "limit" => options with { Limit = ParseInt(name, value!, 1, int.MaxValue) },
                "held-out-limit" => options with { HeldOutLimit = ParseInt(name, value!, 1, int.MaxValue) },
                "temperature" => options with { Temperature = ParseTemperature(value!) },
                "samples" => options with { Samples = ParseInt(name, value!, 0, 10_000) },
                "out" => options with { OutputDirectory = ParsePath(name, value!) },
                "no-plot" => options with { NoPlot = true },
                "quiet" => options with { Quiet = true },
                _ => throw new InvalidOperationException($"option --{name} has no handler."),
            };
        }
        return new TrainCommand(options);
    }

    private static Command ParseSample(IReadOnlyList<string> args, int start)
    {
        string? weights = null;
        var options = new SampleOptions { Weights = "" };
        foreach (var (name, value) in Tokens(args, start, s_sampleOptions, new HashSet<string>(StringComparer.Ordinal)))
        {
            switch (name)
            {
                case "help": return new HelpCommand(SampleHelp);
                case "weights": weights = ParsePath(name, value!); break;
                case "count": options = options with { Count = ParseInt(name, value!, 1, 10_000) }; break;
                case "temperature": options = options with { Temperature = ParseTemperature(value!) }; break;
                case "seed": options = options with { Seed = ParseInt(name, value!, int.MinValue, int.MaxValue) }; break;
                case "prefix": options = options with { Prefix = ParsePrefix(value!) }; break;
                default: throw new InvalidOperationException($"option --{name} has no handler.");
            }
        }
        if (weights is null) throw new UsageException("sample needs --weights FILE (a model.safetensors or checkpoint.safetensors).");
        return new SampleCommand(options with { Weights = weights });
    }

    private static double ParseDropout(string value)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double p))
        {
            foreach (double choice in Trainer.DropoutChoices)
            {
                if (p == choice) return choice;
            }
        }
        throw new UsageException($"--dropout must be 0 or {s_dropoutDefault}, not '{value}': Dropout's p is fixed when the model is compiled (see WordModel.cs).");
    }

    private static float ParseTemperature(string value)
    {
        if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float t) || !(t > 0 && t <= 100))
            throw new UsageException($"--temperature must be a number above 0 and at most 100, such as 0.8, not '{value}'.");
        return t;
    }

    private static string ParsePrefix(string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (Vocabulary.IdOf(value[i]) < 0) throw new UsageException("--prefix: " + Vocabulary.OutsideVocabulary(value, i).Message);
        }
        return value;
    }

    private static string BuildMainHelp()
    {
        var text = new StringBuilder();
        text.AppendLine("words: a character-level language model that learns to spell English words (Bengio et al. 2003 style MLP).");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  words [train] [options]            train (the default command); see 'words train --help'");
        text.AppendLine("  words sample --weights FILE [...]  sample words from saved weights; see 'words sample --help'");
        text.AppendLine("  words --help                       this overview");
        text.AppendLine();
        text.Append(BuildCommandHelp(Program, "train [options]", "Train options:", s_trainOptions, TrainFooter, header: false));
        return text.ToString();
    }
}
