using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ModelGen.IO;

namespace ModelGen.Samples.Mnist;

/// <summary>One epoch's numbers, as the summary line prints them.</summary>
/// <param name="Epoch">The epoch, 1-based.</param>
/// <param name="MeanLoss">Mean training loss over the epoch's steps.</param>
/// <param name="TestAccuracy">Test accuracy after the epoch, 0 to 1.</param>
/// <param name="Correct">Test images classified correctly.</param>
/// <param name="ImagesPerSecond">Training throughput (evaluation not counted).</param>
/// <param name="Seconds">Wall time of the epoch, evaluation and saving included.</param>
public sealed record EpochSummary(int Epoch, double MeanLoss, double TestAccuracy, int Correct, double ImagesPerSecond, double Seconds);

/// <summary>What a run produced: the <see cref="RunResult"/> every trainer gives, with the epochs and their test accuracy.</summary>
public sealed record TrainResult : RunResult
{
    /// <summary>The epochs this invocation trained.</summary>
    public required IReadOnlyList<EpochSummary> Epochs { get; init; }

    /// <summary>Test accuracy after every finished epoch of the run, resumed epochs included.</summary>
    public required IReadOnlyList<double> TestAccuracy { get; init; }

    /// <summary>The test accuracy after the last finished epoch, or NaN when none finished.</summary>
    public double FinalAccuracy => TestAccuracy.Count > 0 ? TestAccuracy[^1] : double.NaN;
}

/// <summary>
/// The training loop: each epoch shuffles the training indices with a generator that is a pure function of
/// (seed, epoch), copies each batch into one reusable buffer, takes one optimizer step per batch and records its
/// loss; at each epoch's end it measures test accuracy in eval mode and saves the weights, a checkpoint and
/// loss.csv. Nothing allocates per step. Single-threaded and deterministic: equal options give bit-identical losses
/// and weights, and a resumed run ends exactly where an uninterrupted one does.
/// </summary>
public sealed class Trainer
{
    // Keeps the shuffle stream apart from the model's initialisation stream, which starts from the bare seed.
    private const ulong ShuffleStream = 0x5851F42D4C957F2DUL;

    private const int RunningLossWindow = 100;

    private readonly TrainerOptions _options;
    private readonly MnistData _data;
    private readonly TextWriter _output;
    private readonly ProgressDisplay _progress;

    /// <summary>Prepares a run of <paramref name="options"/> (already merged with a checkpoint's by <see cref="ResolveResume"/>) on <paramref name="data"/>.</summary>
    /// <param name="options">The run's settings; <see cref="TrainerOptions.Limit"/> is applied to <paramref name="data"/> here.</param>
    /// <param name="data">The data set; its test images are all evaluated after each epoch.</param>
    /// <param name="output">Where progress, summaries and the result are written.</param>
    /// <param name="liveProgress">Redraw progress in place (a terminal) rather than print periodic lines.</param>
    public Trainer(TrainerOptions options, MnistData data, TextWriter output, bool liveProgress = false)
    {
        _options = options;
        _data = data.Take(options.Limit, testCount: null);
        _output = output;
        _progress = new ProgressDisplay(output, liveProgress, options.Quiet);
    }

    /// <summary>Called before each optimizer step with the model and the run's 0-based step index; for tests and instrumentation.</summary>
    public Action<MnistClassifier, long>? BeforeStep { get; init; }

    /// <summary>The generator that shuffles epoch <paramref name="epoch"/> (0-based) of a run with <paramref name="seed"/>.</summary>
    public static Rng ShuffleRandom(int seed, int epoch) => new(((ulong)(uint)seed << 32 | (uint)epoch) ^ ShuffleStream);

    /// <summary>Builds the optimizer that <paramref name="options"/> describe, at the peak learning rate.</summary>
    public static Optimizer CreateOptimizer(TrainerOptions options) => options.Optimizer switch
    {
        OptimizerKind.AdamW => new AdamW(learningRate: options.LearningRate, weightDecay: options.EffectiveWeightDecay),
        OptimizerKind.Sgd => new Sgd(learningRate: options.LearningRate, momentum: options.Momentum, weightDecay: options.EffectiveWeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "Unknown optimizer."),
    };

    /// <summary>
    /// For a run with <c>--resume</c>: the options with the checkpoint's settings filled in. Settings that decide the
    /// data order or the model (seed, data set, batch, limit, optimizer, momentum) must not contradict the checkpoint;
    /// the learning rate, schedule, weight decay and epochs may be changed, and <paramref name="notes"/> says so.
    /// Throws <see cref="UsageException"/> for a contradiction and <see cref="InvalidDataException"/> for a bad file.
    /// </summary>
    public static TrainerOptions ResolveResume(TrainerOptions options, out List<string> notes)
    {
        notes = [];
        if (options.Resume is null) return options;
        if (!File.Exists(options.Resume)) throw new FileNotFoundException($"--resume: there is no file {options.Resume}.", options.Resume);
        TrainingState state = Checkpoint.ReadState(SafeTensors.Load(options.Resume));
        var saved = state.Settings;
        string file = options.Resume;

        if (!MnistData.TryParseName(state.Dataset, out DatasetKind dataset))
            throw new InvalidDataException($"{file}: the checkpoint's data set '{state.Dataset}' is not one this trainer knows.");
        var merged = options with
        {
            Seed = Fixed(options, "seed", options.Seed, state.Seed, state.Seed.ToString(CultureInfo.InvariantCulture)),
            Dataset = Fixed(options, "dataset", options.Dataset, dataset, state.Dataset),
            Batch = Fixed(options, "batch", options.Batch, SavedInt(file, saved, "batch"), Get(file, saved, "batch")),
            Limit = Fixed(options, "limit", options.Limit, SavedLimit(file, saved), saved.TryGetValue("limit", out var l) ? l : "none"),
            Optimizer = Fixed(options, "optimizer", options.Optimizer, SavedOptimizer(file, saved), Get(file, saved, "optimizer")),
            Momentum = Fixed(options, "momentum", options.Momentum, SavedFloat(file, saved, "momentum"), Get(file, saved, "momentum")),
        };
        merged = merged with
        {
            LearningRate = Changeable(options, "lr", options.LearningRate, SavedFloat(file, saved, "lr"), notes),
            WeightDecay = Changeable(options, "weight-decay", options.EffectiveWeightDecay, SavedFloat(file, saved, "weight_decay"), notes),
            Schedule = Changeable(options, "lr-schedule", options.Schedule, SavedSchedule(file, saved), notes),
            Epochs = Changeable(options, "epochs", options.Epochs, SavedInt(file, saved, "epochs"), notes),
        };
        if (merged.Epochs <= state.Epoch)
            throw new UsageException($"the checkpoint has done {state.Epoch} of {merged.Epochs} epochs already; give --epochs N with N > {state.Epoch} to train on.");
        if (merged.StopAfter is int stop && state.Epoch + stop > merged.Epochs)
            throw new UsageException($"--stop-after {stop} goes past --epochs {merged.Epochs} (the checkpoint has done {state.Epoch}).");
        return merged;

        static T Fixed<T>(TrainerOptions options, string name, T given, T saved, string savedText)
        {
            if (options.Given.Contains(name) && !EqualityComparer<T>.Default.Equals(given, saved))
                throw new UsageException($"--{name} contradicts the checkpoint, which was trained with {name} {savedText}; leave --{name} out to resume.");
            return saved;
        }

        static T Changeable<T>(TrainerOptions options, string name, T given, T saved, List<string> notes)
        {
            if (!options.Given.Contains(name)) return saved;
            if (!EqualityComparer<T>.Default.Equals(given, saved))
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"--{name} {given} replaces the checkpoint's {saved}; the result will differ from an uninterrupted run."));
            return given;
        }
    }

    /// <summary>The settings saved in checkpoints (as <c>train.*</c> metadata) and written to run.txt.</summary>
    public static Dictionary<string, string> DescribeSettings(TrainerOptions options, int trainImages)
    {
        var c = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["dataset"] = MnistData.NameOf(options.Dataset),
            ["seed"] = options.Seed.ToString(c),
            ["epochs"] = options.Epochs.ToString(c),
            ["optimizer"] = options.Optimizer == OptimizerKind.AdamW ? "adamw" : "sgd",
            ["lr"] = options.LearningRate.ToString("R", c),
            ["lr_schedule"] = options.Schedule == LearningRateSchedule.Cosine ? "cosine" : "none",
            ["weight_decay"] = options.EffectiveWeightDecay.ToString("R", c),
            ["momentum"] = options.Momentum.ToString("R", c),
            ["batch"] = options.Batch.ToString(c),
            ["limit"] = options.Limit is int limit ? limit.ToString(c) : "none",
            ["train_images"] = trainImages.ToString(c),
        };
    }

    /// <summary>Trains, writing the run folder under <see cref="TrainerOptions.OutputDirectory"/>; see <see cref="TrainResult"/>.</summary>
    public TrainResult Run()
    {
        var options = _options;
        var data = _data;
        int n = data.TrainCount;
        if (n == 0) throw new InvalidDataException("The training set is empty.");
        int batch = options.Batch;
        int stepsPerEpoch = (n + batch - 1) / batch;
        long totalSteps = (long)stepsPerEpoch * options.Epochs;
        if (totalSteps > Array.MaxLength) throw new UsageException($"{totalSteps} steps is more than this trainer records; use fewer --epochs.");

        KernelThreads.Count = options.Threads;
        var model = new MnistClassifier(options.Seed);
        Optimizer optimizer = CreateOptimizer(options);
        int startEpoch = 0;
        long step = 0;
        var losses = new float[totalSteps];
        var accuracies = new List<double>(options.Epochs);
        if (options.Resume is not null)
        {
            var file = SafeTensors.Load(options.Resume);
            TrainingState state = Checkpoint.Restore(file, model, optimizer);
            if (state.Step != (long)state.Epoch * stepsPerEpoch)
                throw new InvalidDataException($"{options.Resume}: the checkpoint is at step {state.Step} after {state.Epoch} epochs, " +
                    $"but {n} training images in batches of {batch} make {stepsPerEpoch} steps per epoch: the data differ from the checkpoint's run.");
            if (!state.ShuffleRandom.Equals(ShuffleRandom(options.Seed, state.Epoch)))
                throw new InvalidDataException($"{options.Resume}: the checkpoint's shuffle generator is not the one this trainer derives for epoch {state.Epoch + 1}.");
            startEpoch = state.Epoch;
            step = state.Step;
            ReadHistory(options.Resume, state, losses, accuracies);
        }

        var settings = DescribeSettings(options, n);
        string settingsText = RunFolder.DescribeSettings(settings) + (options.Resume is null ? "" : $"resumed_from = {Path.GetFullPath(options.Resume)}\n");
        var folder = RunFolder.Create(options.OutputDirectory, data.Name, DateTime.Now, settingsText);

        int endEpoch = options.StopAfter is int stop ? Math.Min(options.Epochs, startEpoch + stop) : options.Epochs;
        WriteHeader(options, data, stepsPerEpoch, startEpoch);

        // Allocated once: the permutation, one batch of images and labels. TrainStep reads the images where they are,
        // so they go in an arena, which starts on a cache line as the model's own buffers do.
        var order = new int[n];
        var images = new Arena<float>(batch * MnistData.ImageSize);
        var labels = new int[batch];
        var summaries = new List<EpochSummary>();
        long stepsThisRun = 0;
        double trainSecondsThisRun = 0;

        for (int epoch = startEpoch; epoch < endEpoch; epoch++)
        {
            long epochStart = Stopwatch.GetTimestamp();
            model.Train();
            for (int i = 0; i < n; i++) order[i] = i;
            Rng shuffle = ShuffleRandom(options.Seed, epoch);
            shuffle.Shuffle(order);
            _progress.StartEpoch();
            double lossSum = 0, runningSum = 0;

            for (int b = 0; b < stepsPerEpoch; b++)
            {
                int first = b * batch;
                int rows = Math.Min(batch, n - first);
                // Also asks for the next batch's images, so that they are in the caches by the next step.
                data.CopyTrainImages(order.AsSpan(first, rows), images.Span, order.AsSpan(first + rows, Math.Min(batch, n - first - rows)));
                for (int r = 0; r < rows; r++) labels[r] = data.TrainLabels[order[first + r]];

                optimizer.LearningRate = LearningRate.At(options.Schedule, options.LearningRate, step, totalSteps);
                BeforeStep?.Invoke(model, step);
                float loss = model.TrainStep(images.Span[..(rows * MnistData.ImageSize)], labels.AsSpan(0, rows), rows, optimizer);
                losses[step] = loss;
                step++;

                if (!float.IsFinite(loss))
                    return Diverge(folder, losses, step, stepsPerEpoch, accuracies, summaries,
                        $"the training loss became {Describe(loss)} at epoch {epoch + 1}, step {b + 1} of {stepsPerEpoch} (run step {step}); " +
                        $"try a lower --lr (it was {optimizer.LearningRate.ToString("G4", CultureInfo.InvariantCulture)} at that step).",
                        epoch);

                lossSum += loss;
                runningSum += loss;
                int window = Math.Min(b + 1, RunningLossWindow);
                if (b >= RunningLossWindow) runningSum -= losses[step - 1 - RunningLossWindow];
                stepsThisRun++;
                double trainSeconds = trainSecondsThisRun + Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
                double secondsPerStep = trainSeconds / stepsThisRun;
                long remaining = (long)(endEpoch - epoch - 1) * stepsPerEpoch + (stepsPerEpoch - b - 1);
                double epochSeconds = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
                _progress.Update(epoch + 1, options.Epochs, b + 1, stepsPerEpoch, (float)(runningSum / window),
                    epochSeconds > 0 ? Math.Min(first + rows, n) / epochSeconds : 0, TimeSpan.FromSeconds(remaining * secondsPerStep));
            }

            double trainTime = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
            trainSecondsThisRun += trainTime;
            _progress.Clear();

            if (!AllFinite(model.Parameters))
                return Diverge(folder, losses, step, stepsPerEpoch, accuracies, summaries,
                    $"the weights became NaN or infinite in the last step of epoch {epoch + 1}; try a lower --lr.", epoch);

            model.Eval();
            int correct = Evaluator.CountCorrect(model, data.TestImages, data.TestLabels, data.TestCount);
            model.Train();
            double accuracy = (double)correct / data.TestCount;
            accuracies.Add(accuracy);

            settings["test_accuracy"] = JoinAccuracies(accuracies);
            var state = new TrainingState
            {
                Seed = options.Seed,
                Dataset = data.Name,
                Epoch = epoch + 1,
                Step = step,
                ShuffleRandom = ShuffleRandom(options.Seed, epoch + 1),
                Settings = settings,
            };
            Checkpoint.Save(folder.CheckpointPath, model, optimizer, state);
            Checkpoint.SaveWeights(folder.WeightsPath, model, new Dictionary<string, string>
            {
                ["dataset"] = data.Name,
                ["epoch"] = (epoch + 1).ToString(CultureInfo.InvariantCulture),
                ["test_accuracy"] = accuracy.ToString("R", CultureInfo.InvariantCulture),
            });
            folder.WriteLosses(losses, (int)step, stepsPerEpoch);

            var summary = new EpochSummary(epoch + 1, lossSum / stepsPerEpoch, accuracy, correct, n / trainTime, Stopwatch.GetElapsedTime(epochStart).TotalSeconds);
            summaries.Add(summary);
            _output.WriteLine(FormatSummary(summary, options.Epochs));
        }

        if (!options.NoPlot) DrawPlot(folder, losses.AsSpan(0, (int)step), stepsPerEpoch, accuracies);
        var outcome = endEpoch == options.Epochs ? TrainOutcome.Completed : TrainOutcome.Stopped;
        int lastCorrect = summaries.Count > 0 ? summaries[^1].Correct : (int)Math.Round(accuracies[^1] * data.TestCount);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"final test accuracy: {100 * accuracies[^1]:0.00}% ({lastCorrect}/{data.TestCount}) after {endEpoch} epoch{(endEpoch == 1 ? "" : "s")}" +
            $"{(outcome == TrainOutcome.Stopped ? $" of {options.Epochs} (stopped; resume with --resume {folder.CheckpointPath})" : "")}"));
        _output.WriteLine($"run folder: {folder.Path}");
        return new TrainResult
        {
            Outcome = outcome,
            Folder = folder,
            Losses = losses.AsSpan(0, (int)step).ToArray(),
            Epochs = summaries,
            TestAccuracy = accuracies,
        };
    }

    /// <summary>The summary line of an epoch.</summary>
    public static string FormatSummary(EpochSummary s, int epochs) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {s.Epoch}/{epochs}  train loss {s.MeanLoss:0.0000}  test accuracy {100 * s.TestAccuracy:0.00}%  {s.ImagesPerSecond,7:#,0} img/s  {s.Seconds:0.0} s");

    private void WriteHeader(TrainerOptions options, MnistData data, int stepsPerEpoch, int startEpoch)
    {
        var c = CultureInfo.InvariantCulture;
        string optimizer = options.Optimizer == OptimizerKind.AdamW
            ? string.Create(c, $"AdamW lr {options.LearningRate:G4}, weight decay {options.EffectiveWeightDecay:G4}")
            : string.Create(c, $"SGD lr {options.LearningRate:G4}, momentum {options.Momentum:G4}, weight decay {options.EffectiveWeightDecay:G4}");
        string schedule = options.Schedule == LearningRateSchedule.Cosine ? "cosine decay to 0" : "constant";
        _output.WriteLine(string.Create(c,
            $"{data.Name}: {data.TrainCount} training images, {data.TestCount} test images; model {MnistClassifier.ParameterCount:#,0} parameters"));
        _output.WriteLine(string.Create(c,
            $"{optimizer}, {schedule}; batch {options.Batch}, {stepsPerEpoch} steps per epoch, {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, seed {options.Seed}, {options.Threads} thread{(options.Threads == 1 ? "" : "s")}"));
        if (startEpoch > 0)
            _output.WriteLine(string.Create(c, $"resuming after epoch {startEpoch} from {options.Resume}"));
    }

    private TrainResult Diverge(RunFolder folder, float[] losses, long steps, int stepsPerEpoch, List<double> accuracies,
        List<EpochSummary> summaries, string message, int epoch)
    {
        _progress.Clear();
        folder.WriteLosses(losses, (int)steps, stepsPerEpoch);
        if (!_options.NoPlot) DrawPlot(folder, losses.AsSpan(0, (int)steps), stepsPerEpoch, accuracies);
        string kept = File.Exists(folder.CheckpointPath)
            ? $" The checkpoint of epoch {epoch} is kept: {folder.CheckpointPath}"
            : _options.Resume is not null
                ? $" The checkpoint this run resumed from is unchanged: {_options.Resume}"
                : " No epoch had finished, so there is no checkpoint.";
        return new TrainResult
        {
            Outcome = TrainOutcome.Diverged,
            Folder = folder,
            Losses = losses.AsSpan(0, (int)steps).ToArray(),
            Epochs = summaries,
            TestAccuracy = accuracies,
            Error = message + kept,
        };
    }

    private void DrawPlot(RunFolder folder, ReadOnlySpan<float> losses, int stepsPerEpoch, List<double> accuracies)
    {
        var o = _options;
        string title = string.Create(CultureInfo.InvariantCulture,
            $"{_data.Name}: {(o.Optimizer == OptimizerKind.AdamW ? "AdamW" : "SGD")} lr {o.LearningRate:G4}" +
            $"{(o.Schedule == LearningRateSchedule.Cosine ? " cosine" : "")}, batch {o.Batch}, seed {o.Seed}");
        try
        {
            LossPlot.Save(folder.LossPlotPath, title, losses, stepsPerEpoch, accuracies);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or IOException)
        {
            // The plot is a convenience: a machine without the native Skia library still trains.
            _output.WriteLine($"note: loss.png was not drawn ({e.GetBaseException().Message})");
        }
    }

    private static void ReadHistory(string checkpointPath, TrainingState state, float[] losses, List<double> accuracies)
    {
        string csv = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!, RunFolder.LossCsvFileName);
        int found = RunFolder.ReadLosses(csv, losses.AsSpan(0, (int)state.Step));
        // Steps whose loss is not known stay NaN: loss.csv says so, and the plot leaves them out.
        losses.AsSpan(found, (int)state.Step - found).Fill(float.NaN);
        if (state.Settings.TryGetValue("test_accuracy", out string? text))
        {
            foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) accuracies.Add(value);
            }
        }
    }

    private static string JoinAccuracies(List<double> accuracies)
    {
        var parts = new string[accuracies.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = accuracies[i].ToString("R", CultureInfo.InvariantCulture);
        return string.Join(",", parts);
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) return false;
        }
        return true;
    }

    private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity";

    private static string Get(string file, IReadOnlyDictionary<string, string> saved, string key)
        => saved.TryGetValue(key, out string? value) ? value : throw new InvalidDataException($"{file}: the checkpoint has no setting 'train.{key}'.");

    private static int SavedInt(string file, IReadOnlyDictionary<string, string> saved, string key)
        => int.TryParse(Get(file, saved, key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value : throw new InvalidDataException($"{file}: the setting 'train.{key}' is not an integer.");

    private static float SavedFloat(string file, IReadOnlyDictionary<string, string> saved, string key)
        => float.TryParse(Get(file, saved, key), NumberStyles.Float, CultureInfo.InvariantCulture, out float value)
            ? value : throw new InvalidDataException($"{file}: the setting 'train.{key}' is not a number.");

    private static int? SavedLimit(string file, IReadOnlyDictionary<string, string> saved)
        => Get(file, saved, "limit") == "none" ? null : SavedInt(file, saved, "limit");

    private static OptimizerKind SavedOptimizer(string file, IReadOnlyDictionary<string, string> saved) => Get(file, saved, "optimizer") switch
    {
        "adamw" => OptimizerKind.AdamW,
        "sgd" => OptimizerKind.Sgd,
        var other => throw new InvalidDataException($"{file}: the setting 'train.optimizer' is '{other}', not adamw or sgd."),
    };

    private static LearningRateSchedule SavedSchedule(string file, IReadOnlyDictionary<string, string> saved) => Get(file, saved, "lr_schedule") switch
    {
        "cosine" => LearningRateSchedule.Cosine,
        "none" => LearningRateSchedule.None,
        var other => throw new InvalidDataException($"{file}: the setting 'train.lr_schedule' is '{other}', not none or cosine."),
    };
}
