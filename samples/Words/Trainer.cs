using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using ModelGen.IO;

namespace ModelGen.Samples.Words;

/// <summary>One epoch's numbers, as the summary line prints them.</summary>
/// <param name="Epoch">The epoch, 1-based.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps (train mode: Dropout on), nats per character.</param>
/// <param name="ValidationLoss">Validation loss after the epoch (eval mode), nats per character.</param>
/// <param name="CharactersPerSecond">Training throughput in predicted characters per second (evaluation not counted).</param>
/// <param name="Seconds">Wall time of the epoch, evaluation and saving included.</param>
public sealed record EpochSummary(int Epoch, double TrainLoss, double ValidationLoss, double CharactersPerSecond, double Seconds);

/// <summary>
/// What a run produced: the <see cref="RunResult"/> every trainer gives, with the epochs, the test loss beside the
/// bigram baseline's, and the sampled words.
/// </summary>
public sealed record TrainResult : RunResult
{
    /// <summary>The finished epochs.</summary>
    public required IReadOnlyList<EpochSummary> Epochs { get; init; }

    /// <summary>The bigram baseline's validation loss, nats per character.</summary>
    public required double BigramValidationLoss { get; init; }

    /// <summary>The bigram baseline's test loss, nats per character.</summary>
    public required double BigramTestLoss { get; init; }

    /// <summary>The model's test loss after the last epoch (eval mode), or NaN when the run diverged.</summary>
    public double TestLoss { get; init; } = double.NaN;

    /// <summary>The words sampled at the end (empty when the run diverged).</summary>
    public IReadOnlyList<string> Samples { get; init; } = [];

    /// <summary>The validation loss after the last finished epoch, or NaN when none finished.</summary>
    public double FinalValidationLoss => Epochs.Count > 0 ? Epochs[^1].ValidationLoss : double.NaN;
}

/// <summary>
/// The training loop of the character model: each epoch shuffles every (context, next character) example of the
/// training words with a generator that is a pure function of (seed, epoch), copies each batch into reusable
/// buffers, and takes one AdamW step per batch; after each epoch it measures the validation loss in eval mode and
/// saves the weights, a checkpoint and loss.csv. At the end it measures the test loss, sets it beside the bigram
/// baseline's, and samples words. Nothing allocates per step; equal options give bit-identical runs.
/// </summary>
public sealed class Trainer
{
    /// <summary>The data set's name in run folders and checkpoints.</summary>
    public const string DatasetName = "words";

    // Keep the shuffle and sampling streams apart from the model's initialisation stream, which starts from the bare seed.
    private const ulong ShuffleStream = 0x5851F42D4C957F2DUL;
    private const ulong SampleStream = 0x2545F4914F6CDD1DUL;

    private const int RunningLossWindow = 100;

    private readonly TrainerOptions _options;
    private readonly WordList _words;
    private readonly TextWriter _output;
    private readonly ProgressDisplay _progress;

    /// <summary>Prepares a run of <paramref name="options"/> on <paramref name="words"/> (the limits of <paramref name="options"/> are applied here).</summary>
    public Trainer(TrainerOptions options, WordList words, TextWriter output, bool liveProgress = false)
    {
        _options = options;
        _words = words.Take(options.Limit, options.HeldOutLimit);
        _output = output;
        _progress = new ProgressDisplay(output, liveProgress, options.Quiet, rateUnit: "char/s");
    }

    /// <summary>Called before each optimizer step with the model and the run's 0-based step index; for tests and instrumentation.</summary>
    public Action<IModel<int>, long>? BeforeStep { get; init; }

    /// <summary>The Dropout probabilities compiled in: one model class each.</summary>
    public static IReadOnlyList<double> DropoutChoices { get; } = [0, WordModelShape.DropoutP];

    /// <summary>
    /// A new model with Dropout's p = <paramref name="dropout"/>, initialised from <paramref name="seed"/>:
    /// <see cref="WordModel"/> for <see cref="WordModelShape.DropoutP"/>, <see cref="WordModelNoDropout"/> for 0.
    /// The generator fixes p at compile time, so other values are a <see cref="UsageException"/>.
    /// </summary>
    public static IModel<int> CreateModel(double dropout, int seed = 0) => dropout switch
    {
        0 => new WordModelNoDropout(seed),
        WordModelShape.DropoutP => new WordModel(seed),
        _ => throw new UsageException(string.Create(CultureInfo.InvariantCulture,
            $"--dropout must be 0 or {WordModelShape.DropoutP}, not {dropout}: Dropout's p is fixed when the model is compiled (see WordModel.cs).")),
    };

    /// <summary>The generator that shuffles epoch <paramref name="epoch"/> (0-based) of a run with <paramref name="seed"/>.</summary>
    public static Rng ShuffleRandom(int seed, int epoch) => new(((ulong)(uint)seed << 32 | (uint)epoch) ^ ShuffleStream);

    /// <summary>The generator of the words sampled at the end of a run with <paramref name="seed"/>.</summary>
    public static Rng SampleRandom(int seed) => new((ulong)(uint)seed ^ SampleStream);

    /// <summary>
    /// The mean cross-entropy of <paramref name="model"/> over every example, in nats per character, in eval mode
    /// (Dropout off) and batches of the model's capacity; the model's mode is restored afterwards.
    /// </summary>
    public static double Evaluate(IModel<int> model, Examples examples)
    {
        if (examples.Count == 0) return double.NaN;
        bool wasTraining = model.IsTraining;
        model.Eval();
        int t = examples.ContextLength;
        double sum = 0;
        for (int first = 0; first < examples.Count; first += model.BatchSize)
        {
            int rows = Math.Min(model.BatchSize, examples.Count - first);
            sum += (double)model.Loss(examples.Contexts.AsSpan(first * t, rows * t), examples.Targets.AsSpan(first, rows), rows) * rows;
        }
        if (wasTraining) model.Train();
        return sum / examples.Count;
    }

    /// <summary>The settings written to run.txt and saved in checkpoints (as <c>train.*</c> metadata).</summary>
    public static Dictionary<string, string> DescribeSettings(TrainerOptions options, WordList words)
    {
        var c = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["words"] = words.Source,
            ["train_words"] = words.Train.Length.ToString(c),
            ["validation_words"] = words.Validation.Length.ToString(c),
            ["test_words"] = words.Test.Length.ToString(c),
            ["seed"] = options.Seed.ToString(c),
            ["epochs"] = options.Epochs.ToString(c),
            ["optimizer"] = "adamw",
            ["lr"] = options.LearningRate.ToString("R", c),
            ["lr_schedule"] = options.Schedule == LearningRateSchedule.Cosine ? "cosine" : "none",
            ["weight_decay"] = options.WeightDecay.ToString("R", c),
            ["batch"] = options.Batch.ToString(c),
            ["dropout"] = options.Dropout.ToString("R", c),
            ["context"] = WordModelShape.Context.ToString(c),
            ["limit"] = options.Limit is int limit ? limit.ToString(c) : "none",
        };
    }

    /// <summary>Trains, writing the run folder under <see cref="TrainerOptions.OutputDirectory"/>; see <see cref="TrainResult"/>.</summary>
    public TrainResult Run()
    {
        var options = _options;
        var c = CultureInfo.InvariantCulture;
        var train = Examples.FromWords(_words.Train, WordModelShape.Context);
        var validation = Examples.FromWords(_words.Validation, WordModelShape.Context);
        var test = Examples.FromWords(_words.Test, WordModelShape.Context);
        if (validation.Count == 0 || test.Count == 0) throw new InvalidDataException($"{_words.Source}: the validation or the test part is empty; the word list is too short.");

        var bigram = Bigram.Fit(_words.Train);
        double bigramValidation = bigram.Loss(validation), bigramTest = bigram.Loss(test);

        int n = train.Count;
        int batch = options.Batch;
        int stepsPerEpoch = (n + batch - 1) / batch;
        long totalSteps = (long)stepsPerEpoch * options.Epochs;
        if (totalSteps > Array.MaxLength) throw new UsageException($"{totalSteps} steps is more than this trainer records; use fewer --epochs.");

        IModel<int> model = CreateModel(options.Dropout, options.Seed);
        var optimizer = new AdamW(learningRate: options.LearningRate, weightDecay: options.WeightDecay);
        var settings = DescribeSettings(options, _words);
        var folder = RunFolder.Create(options.OutputDirectory, DatasetName, DateTime.Now, RunFolder.DescribeSettings(settings));

        WriteHeader(model, train, validation, test, stepsPerEpoch, bigramValidation, bigramTest);

        // Allocated once: the permutation, one batch of contexts and targets.
        int t = WordModelShape.Context;
        var order = new int[n];
        var contexts = new int[batch * t];
        var targets = new int[batch];
        var losses = new float[totalSteps];
        var summaries = new List<EpochSummary>();
        long step = 0;
        double trainSeconds = 0;

        for (int epoch = 0; epoch < options.Epochs; epoch++)
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
                for (int r = 0; r < rows; r++)
                {
                    int index = order[first + r];
                    train.Contexts.AsSpan(index * t, t).CopyTo(contexts.AsSpan(r * t, t));
                    targets[r] = train.Targets[index];
                }

                optimizer.LearningRate = LearningRate.At(options.Schedule, options.LearningRate, step, totalSteps);
                BeforeStep?.Invoke(model, step);
                float loss = model.TrainStep(contexts.AsSpan(0, rows * t), targets.AsSpan(0, rows), rows, optimizer);
                losses[step++] = loss;
                if (!float.IsFinite(loss))
                    return Diverge(folder, losses, step, stepsPerEpoch, summaries, bigramValidation, bigramTest,
                        $"the training loss became {Describe(loss)} at epoch {epoch + 1}, step {b + 1} of {stepsPerEpoch} (run step {step}); " +
                        $"try a lower --lr (it was {optimizer.LearningRate.ToString("G4", c)} at that step).");

                lossSum += loss;
                runningSum += loss;
                int window = Math.Min(b + 1, RunningLossWindow);
                if (b >= RunningLossWindow) runningSum -= losses[step - 1 - RunningLossWindow];
                double epochSeconds = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
                double secondsPerStep = (trainSeconds + epochSeconds) / step;
                long remaining = (long)(options.Epochs - epoch - 1) * stepsPerEpoch + (stepsPerEpoch - b - 1);
                _progress.Update(epoch + 1, options.Epochs, b + 1, stepsPerEpoch, (float)(runningSum / window),
                    epochSeconds > 0 ? (first + rows) / epochSeconds : 0, TimeSpan.FromSeconds(remaining * secondsPerStep));
            }

            double trainTime = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
            trainSeconds += trainTime;
            _progress.Clear();
            if (!AllFinite(model.Parameters))
                return Diverge(folder, losses, step, stepsPerEpoch, summaries, bigramValidation, bigramTest,
                    $"the weights became NaN or infinite in the last step of epoch {epoch + 1}; try a lower --lr.");

            double validationLoss = Evaluate(model, validation);
            settings["validation_loss"] = validationLoss.ToString("R", c);
            Checkpoint.Save(folder.CheckpointPath, model, optimizer, new TrainingState
            {
                Seed = options.Seed,
                Dataset = DatasetName,
                Epoch = epoch + 1,
                Step = step,
                ShuffleRandom = ShuffleRandom(options.Seed, epoch + 1),
                Settings = settings,
            });
            Checkpoint.SaveWeights(folder.WeightsPath, model, new Dictionary<string, string>
            {
                ["dataset"] = DatasetName,
                ["epoch"] = (epoch + 1).ToString(c),
                ["dropout"] = options.Dropout.ToString("R", c),
                ["validation_loss"] = validationLoss.ToString("R", c),
            });
            folder.WriteLosses(losses, (int)step, stepsPerEpoch);

            var summary = new EpochSummary(epoch + 1, lossSum / stepsPerEpoch, validationLoss, n / trainTime, Stopwatch.GetElapsedTime(epochStart).TotalSeconds);
            summaries.Add(summary);
            _output.WriteLine(FormatSummary(summary, options.Epochs));
        }

        double testLoss = Evaluate(model, test);
        _output.WriteLine(string.Create(c,
            $"test loss {testLoss:0.0000} nats/char ({testLoss / Math.Log(2):0.000} bits); bigram baseline {bigramTest:0.0000}: " +
            $"{bigramTest - testLoss:0.0000} {(testLoss < bigramTest ? "lower" : "HIGHER")} ({trainSeconds:0} s of training)"));

        var samples = SampleWords(model, options.Samples, options.Temperature, options.Seed);
        _output.WriteLine(string.Create(c,
            $"{samples.Count} words sampled at temperature {options.Temperature:0.###} (seed {options.Seed}; * marks a word of the list, + one it holds for validation or test):"));
        _output.Write(FormatSamples(samples, _words));

        if (!options.NoPlot) DrawPlot(folder, losses, stepsPerEpoch, summaries);
        _output.WriteLine($"run folder: {folder.Path}");
        return new TrainResult
        {
            Outcome = TrainOutcome.Completed,
            Folder = folder,
            Losses = losses,
            Epochs = summaries,
            BigramValidationLoss = bigramValidation,
            BigramTestLoss = bigramTest,
            TestLoss = testLoss,
            Samples = samples,
        };
    }

    /// <summary><paramref name="count"/> words from <paramref name="model"/> (eval mode) at <paramref name="temperature"/>, drawn with <see cref="SampleRandom"/>.</summary>
    public static List<string> SampleWords(IModel<int> model, int count, float temperature, int seed, string prefix = "")
    {
        var sampler = new Sampler(model);
        Rng random = SampleRandom(seed);
        var words = new List<string>(count);
        for (int i = 0; i < count; i++) words.Add(sampler.Sample(ref random, temperature, prefix));
        return words;
    }

    /// <summary>The sampled words, five to a line, marked <c>*</c> when the training words hold them and <c>+</c> when the held-out ones do.</summary>
    public static string FormatSamples(IReadOnlyList<string> samples, WordList? words)
    {
        HashSet<string>? train = words is null ? null : new(words.Train, StringComparer.Ordinal);
        HashSet<string>? heldOut = null;
        if (words is not null)
        {
            heldOut = new HashSet<string>(words.Validation, StringComparer.Ordinal);
            heldOut.UnionWith(words.Test);
        }
        var text = new StringBuilder();
        for (int i = 0; i < samples.Count; i++)
        {
            string mark = train?.Contains(samples[i]) == true ? "*" : heldOut?.Contains(samples[i]) == true ? "+" : "";
            bool last = i % 5 == 4 || i == samples.Count - 1;
            text.Append("  ").Append(last ? samples[i] + mark : (samples[i] + mark).PadRight(18));
            if (last) text.Append(Environment.NewLine);
        }
        return text.ToString();
    }

    /// <summary>The summary line of an epoch.</summary>
    public static string FormatSummary(EpochSummary s, int epochs) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {s.Epoch}/{epochs}  train loss {s.TrainLoss:0.0000}  validation loss {s.ValidationLoss:0.0000} nats/char  {s.CharactersPerSecond,7:#,0} char/s  {s.Seconds:0.0} s");

    private void WriteHeader(IModel<int> model, Examples train, Examples validation, Examples test, int stepsPerEpoch, double bigramValidation, double bigramTest)
    {
        var c = CultureInfo.InvariantCulture;
        var o = _options;
        _output.WriteLine(string.Create(c,
            $"words: {train.Words:#,0} training, {validation.Words:#,0} validation, {test.Words:#,0} test words from {_words.Source} " +
            $"({_words.Skipped:#,0} of {_words.Lines:#,0} lines skipped: not a-z only, or repeated)"));
        _output.WriteLine(string.Create(c,
            $"       {train.Count:#,0} / {validation.Count:#,0} / {test.Count:#,0} characters to predict (every letter and each word's end)"));
        _output.WriteLine(string.Create(c,
            $"model: {model.GetType().Name}, {model.Parameters.Length:#,0} parameters: context {WordModelShape.Context}, embedding {WordModelShape.EmbeddingDim}, " +
            $"width {WordModelShape.Hidden}, 2 residual FeedForward blocks ({WordModelShape.FeedForward}), dropout {o.Dropout:0.###}"));
        _output.WriteLine(string.Create(c,
            $"AdamW lr {o.LearningRate:G4}, weight decay {o.WeightDecay:G4}, {(o.Schedule == LearningRateSchedule.Cosine ? "cosine decay to 0" : "constant")}; " +
            $"batch {o.Batch}, {stepsPerEpoch:#,0} steps per epoch, {o.Epochs} epoch{(o.Epochs == 1 ? "" : "s")}, seed {o.Seed}"));
        _output.WriteLine(string.Create(c,
            $"bigram baseline (add-one smoothing): validation loss {bigramValidation:0.0000}, test loss {bigramTest:0.0000} nats/char"));
    }

    private TrainResult Diverge(RunFolder folder, float[] losses, long steps, int stepsPerEpoch, List<EpochSummary> summaries,
        double bigramValidation, double bigramTest, string message)
    {
        _progress.Clear();
        folder.WriteLosses(losses, (int)steps, stepsPerEpoch);
        if (!_options.NoPlot) DrawPlot(folder, losses.AsSpan(0, (int)steps).ToArray(), stepsPerEpoch, summaries);
        string kept = File.Exists(folder.CheckpointPath)
            ? $" The checkpoint of epoch {summaries.Count} is kept: {folder.CheckpointPath}"
            : " No epoch had finished, so there is no checkpoint.";
        return new TrainResult
        {
            Outcome = TrainOutcome.Diverged,
            Folder = folder,
            Losses = losses.AsSpan(0, (int)steps).ToArray(),
            Epochs = summaries,
            BigramValidationLoss = bigramValidation,
            BigramTestLoss = bigramTest,
            Error = message + kept,
        };
    }

    private void DrawPlot(RunFolder folder, float[] losses, int stepsPerEpoch, List<EpochSummary> summaries)
    {
        var o = _options;
        string title = string.Create(CultureInfo.InvariantCulture,
            $"words: AdamW lr {o.LearningRate:G4}{(o.Schedule == LearningRateSchedule.Cosine ? " cosine" : "")}, batch {o.Batch}, dropout {o.Dropout:0.###}, seed {o.Seed}");
        var validation = new double[summaries.Count];
        for (int i = 0; i < validation.Length; i++) validation[i] = summaries[i].ValidationLoss;
        try
        {
            LossPlot.SaveWithHeldOutLoss(folder.LossPlotPath, title, "loss (nats per character, log scale)", losses, stepsPerEpoch,
                "validation loss (eval mode)", validation);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or IOException)
        {
            // The plot is a convenience: a machine without the native Skia library still trains.
            _output.WriteLine($"note: loss.png was not drawn ({e.GetBaseException().Message})");
        }
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
}
