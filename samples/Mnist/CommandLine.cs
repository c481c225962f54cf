using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using static ModelGen.Samples.OptionParser;

namespace ModelGen.Samples.Mnist;

/// <summary><c>mnist train</c> (also what no command means).</summary>
public sealed record TrainCommand(TrainerOptions Options) : Command;

/// <summary><c>mnist eval</c>.</summary>
public sealed record EvalCommand(EvalOptions Options) : Command;

/// <summary>
/// The command line of <c>mnist</c>, on the samples' shared <see cref="OptionParser"/> (NativeAOT-safe: no
/// reflection). Every value is checked here so a bad one fails before any data is read.
/// </summary>
public static class CommandLine
{
    /// <summary>The program's name, as the help and the messages print it.</summary>
    internal const string Program = "mnist";

    private static readonly CommandOption[] s_trainOptions =
    [
        new("epochs", "N", $"epochs of the run; a resumed run continues until this many are done (default {TrainerOptions.DefaultEpochs})"),
        new("lr", "X", "peak learning rate (default 0.001)"),
        new("lr-schedule", "S", "none | cosine (default cosine): cosine decays the learning rate from --lr to 0 over the whole run,\nstep by step; none keeps it constant as the PyTorch reference does"),
        new("optimizer", "O", "adamw | sgd (default adamw: betas 0.9, 0.999, eps 1e-8)"),
        new("momentum", "X", $"SGD momentum, 0 to <1 (default {TrainerOptions.DefaultMomentum.ToString(CultureInfo.InvariantCulture)}; AdamW ignores it)"),
        new("weight-decay", "X", "decoupled weight decay for AdamW, L2 for SGD (default 0.01 with adamw, 0 with sgd)"),
        new("batch", "N", $"rows per training step, 1 to {MnistClassifier.BatchSize} (the model's batch capacity; default {MnistClassifier.BatchSize})"),
        new("seed", "N", "seed of the initialisation and of every epoch's shuffle (default 0); equal seeds give\nbit-identical runs"),
        new("threads", "N", $"threads the kernels run on, 1 to 256 (default: one per core, here {Environment.ProcessorCount}); every count\ngives bit-identical results"),
        new("dataset", "D", "mnist | fashion (default mnist)"),
        new("data", "DIR", "a folder that holds the four IDX files (plain or .gz); default: the cache, which is\nfilled on first use"),
        new("cache", "DIR", "where the data set is kept (default data/mnist, or data/fashion-mnist)"),
        new("out", "DIR", "parent of the run folder <dataset>-<yyyyMMdd-HHmmss>[-n] (default runs)"),
        new("resume", "FILE", "continue from a checkpoint.safetensors: weights, optimizer state, epoch, step and random\ngenerators, so the result equals an uninterrupted run. The other settings come from the\ncheckpoint; --epochs extends a run; --lr, --lr-schedule, --weight-decay may change it (with a\nnote); a different --seed, --dataset, --batch, --limit, --optimizer or --momentum is an error"),
        new("stop-after", "N", "stop after N epochs in this invocation (the schedule still spans --epochs); resume later"),
        new("limit", "N", "train on only the first N training images (default all 60000)"),
        new("no-plot", null, "do not draw loss.png"),
        new("quiet", null, "no progress display; epoch summaries and the result are still printed"),
        new("help", null, "show this help"),
    ];

    private static readonly CommandOption[] s_evalOptions =
    [
        new("weights", "FILE", "a model.safetensors or checkpoint.safetensors (required)"),
        new("dataset", "D", "mnist | fashion (default: the one the file was trained on, else mnist)"),
        new("data", "DIR", "a folder that holds the four IDX files (plain or .gz)"),
        new("cache", "DIR", "where the data set is kept (default data/mnist, or data/fashion-mnist)"),
        new("limit", "N", "evaluate only the first N test images (default all 10000)"),
        new("help", null, "show this help"),
    ];

    /// <summary>The overview printed by <c>mnist --help</c>.</summary>
    public static string MainHelp { get; } = BuildMainHelp();

    /// <summary>The help of <c>mnist train</c>.</summary>
    public static string TrainHelp { get; } = BuildCommandHelp(Program, "train [options]", "Trains the MNIST classifier and writes a run folder.", s_trainOptions, TrainFooter);

    /// <summary>The help of <c>mnist eval</c>.</summary>
    public static string EvalHelp { get; } = BuildCommandHelp(Program, "eval --weights FILE [options]",
        "Reports the test accuracy of saved weights and the confusion matrix (rows: true class, columns: predicted).", s_evalOptions, "");

    // The default command comes first. Declared below the helps it holds: static initialisers run in textual order.
    private static readonly CommandDefinition[] s_commands = [new("train", TrainHelp, ParseTrain), new("eval", EvalHelp, ParseEval)];

    private const string TrainFooter = """

        The default recipe (AdamW, lr 0.001 with cosine decay, batch 64, 5 epochs) reaches 98.5% test accuracy on
        MNIST (98.46% with seed 0; 97.7% with --epochs 1) and 90.2% on Fashion-MNIST with --epochs 10;
        --lr-schedule none is the PyTorch reference's constant rate (97.8% after 5 epochs here, 97.9% in PyTorch).

        The run folder holds loss.csv (step,epoch,loss), loss.png, model.safetensors (the weights, loadable by
        PyTorch's load_state_dict(strict=True) via safetensors.torch.load_file), checkpoint.safetensors (for
        --resume; rewritten atomically at each epoch end) and run.txt (the settings).

        Exit codes: 0 done, 1 an error (data, files), 2 a bad command line, 3 the loss became NaN or infinite
        (the run stops; the last epoch's checkpoint is kept).
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> with a message naming the bad argument.</summary>
    public static Command Parse(IReadOnlyList<string> args) => ParseCommand(args, MainHelp, s_commands);

    private static Command ParseTrain(IReadOnlyList<string> args, int start)
    {
        var options = new TrainerOptions();
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in Tokens(args, start, s_trainOptions, given))
        {
            if (name == "help") return new HelpCommand(start == 0 ? MainHelp : TrainHelp);
            options = name switch
            {
                "epochs" => options with { Epochs = ParseInt(name, value!, 1, 100_000) },
                "stop-after" => options with { StopAfter = ParseInt(name, value!, 1, 100_000) },
                "lr" => options with { LearningRate = ParseFloat(name, value!, positive: true) },
                "lr-schedule" => options with { Schedule = ParseSchedule(value!) },
                "optimizer" => options with
                {
                    Optimizer = value!.ToLowerInvariant() switch
                    {
                        "adamw" => OptimizerKind.AdamW,
                        "sgd" => OptimizerKind.Sgd,
                        _ => throw new UsageException($"--optimizer must be adamw or sgd, not '{value}'."),
                    },
                },
                "momentum" => options with { Momentum = ParseMomentum(value!) },
                "weight-decay" => options with { WeightDecay = ParseFloat(name, value!, positive: false) },
                "batch" => options with { Batch = ParseInt(name, value!, 1, MnistClassifier.BatchSize, " (the model's batch capacity)") },
                "seed" => options with { Seed = ParseInt(name, value!, int.MinValue, int.MaxValue) },
                "threads" => options with { Threads = ParseInt(name, value!, 1, 256) },
                "dataset" => options with { Dataset = ParseDataset(value!) },
                "data" => options with { DataDirectory = ParsePath(name, value!) },
                "cache" => options with { CacheDirectory = ParsePath(name, value!) },
                "out" => options with { OutputDirectory = ParsePath(name, value!) },
                "resume" => options with { Resume = ParsePath(name, value!) },
                "limit" => options with { Limit = ParseInt(name, value!, 1, int.MaxValue) },
                "no-plot" => options with { NoPlot = true },
                "quiet" => options with { Quiet = true },
                _ => throw new InvalidOperationException($"option --{name} has no handler."),
            };
        }
        if (options.StopAfter is int stop && stop > options.Epochs && options.Resume is null)
            throw new UsageException($"--stop-after {stop} is more than --epochs {options.Epochs}.");
        return new TrainCommand(options with { Given = given });
    }

    private static Command ParseEval(IReadOnlyList<string> args, int start)
    {
        string? weights = null;
        DatasetKind? dataset = null;
        string? data = null, cache = null;
        int? limit = null;
        foreach (var (name, value) in Tokens(args, start, s_evalOptions, new HashSet<string>(StringComparer.Ordinal)))
        {
            switch (name)
            {
                case "help": return new HelpCommand(EvalHelp);
                case "weights": weights = ParsePath(name, value!); break;
                case "dataset": dataset = ParseDataset(value!); break;
                case "data": data = ParsePath(name, value!); break;
                case "cache": cache = ParsePath(name, value!); break;
                case "limit": limit = ParseInt(name, value!, 1, int.MaxValue); break;
                default: throw new InvalidOperationException($"option --{name} has no handler.");
            }
        }
        if (weights is null) throw new UsageException("eval needs --weights FILE (a model.safetensors or checkpoint.safetensors).");
        return new EvalCommand(new EvalOptions { Weights = weights, Dataset = dataset, DataDirectory = data, CacheDirectory = cache, Limit = limit });
    }

    private static float ParseMomentum(string value)
    {
        if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float result) || !(result >= 0 && result < 1))
            throw new UsageException($"--momentum must be a number from 0 to below 1, not '{value}'.");
        return result;
    }

    private static DatasetKind ParseDataset(string value) => value.ToLowerInvariant() switch
    {
        "mnist" => DatasetKind.Mnist,
        "fashion" or "fashion-mnist" => DatasetKind.Fashion,
        _ => throw new UsageException($"--dataset must be mnist or fashion, not '{value}'."),
    };

    private static string BuildMainHelp()
    {
        var text = new StringBuilder();
        text.AppendLine("mnist: trains and evaluates ModelGen's MNIST classifier (MLP 784 -> 256 x3 with LayerNorm and GELU -> 10).");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  mnist [train] [options]          train (the default command); see 'mnist train --help'");
        text.AppendLine("  mnist eval --weights FILE [...]  test accuracy and confusion matrix; see 'mnist eval --help'");
        text.AppendLine("  mnist --help                     this overview");
        text.AppendLine();
        text.Append(BuildCommandHelp(Program, "train [options]", "Train options:", s_trainOptions, TrainFooter, header: false));
        text.AppendLine();
        text.AppendLine("The data (MNIST, or Fashion-MNIST with --dataset fashion) is read from --data, else from the cache, else");
        text.AppendLine("fetched once into the cache, with SHA-256 checks. The published binary is built for x86-64-v4 (AVX-512).");
        return text.ToString();
    }
}
