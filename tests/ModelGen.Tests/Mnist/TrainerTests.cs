using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen.IO;
using ModelGen.Samples;
using ModelGen.Samples.Mnist;

namespace ModelGen.Tests.Mnist;

/// <summary>The trainer in-process on small subsets of real MNIST.</summary>
[Collection(MnistCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly MnistFixture _mnist;
    private readonly TempDirectory _temp = new();

    public TrainerTests(MnistFixture mnist) => _mnist = mnist;

    public void Dispose() => _temp.Dispose();

    private TrainerOptions Options(int limit, int epochs, params string[] given) => new()
    {
        Epochs = epochs,
        Limit = limit,
        OutputDirectory = _temp.Path,
        NoPlot = true,
        Quiet = true,
        Threads = 1, // the other test classes run alongside; TwoThreadsTrainExactlyAsOne asks for two
        Given = new HashSet<string>(given),
    };

    private TrainResult Train(TrainerOptions options, int testImages = 1000, Action<MnistClassifier, long>? beforeStep = null)
    {
        options = Trainer.ResolveResume(options, out _);
        var trainer = new Trainer(options, _mnist.Data.Take(null, testImages), TextWriter.Null) { BeforeStep = beforeStep };
        return trainer.Run();
    }

    private static float[] Weights(string path)
    {
        var model = new MnistClassifier();
        Checkpoint.LoadWeights(path, model);
        return model.Parameters.ToArray();
    }

    private static float[] OptimizerState(string checkpoint)
    {
        var model = new MnistClassifier();
        Checkpoint.Load(checkpoint, model, new AdamW());
        return model.OptimizerState.ToArray();
    }

    private static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"element {i}: {expected[i]:R} != {actual[i]:R}");
        }
    }

    [Fact]
    public void TheSameSeedGivesBitIdenticalLossesAndWeights()
    {
        var first = Train(Options(limit: 1000, epochs: 1) with { Seed = 3 });
        var second = Train(Options(limit: 1000, epochs: 1) with { Seed = 3 });
        Assert.NotEqual(first.Folder.Path, second.Folder.Path);
        Assert.Equal(16, first.Losses.Length); // ceil(1000 / 64): the last batch has 40 rows
        AssertBitIdentical(first.Losses, second.Losses);
        AssertBitIdentical(Weights(first.Folder.WeightsPath), Weights(second.Folder.WeightsPath));
        Assert.Equal(first.TestAccuracy, second.TestAccuracy);

        var other = Train(Options(limit: 1000, epochs: 1) with { Seed = 4 });
        Assert.NotEqual(first.Losses, other.Losses);
    }

    [Fact]
    public void TwoThreadsTrainExactlyAsOne()
    {
        var one = Train(Options(limit: 1000, epochs: 1) with { Threads = 1 });
        var two = Train(Options(limit: 1000, epochs: 1) with { Threads = 2 });
        Assert.Equal(one.Losses, two.Losses);
        AssertBitIdentical(Weights(one.Folder.WeightsPath), Weights(two.Folder.WeightsPath));
        Assert.Equal(one.TestAccuracy, two.TestAccuracy);
    }

    [Fact]
    public void TrainingStepsAllocateNothing()
    {
        // Windows of eight steps inside epochs 2, 3 and 4 (16 steps each): between the two readings of a window lie
        // batch copies, steps and progress updates. The least of the windows is what the loop itself allocates (see
        // SteadyState for why one window alone can see the runtime's own one-off work).
        long[] starts = [18, 34, 50], allocated = new long[starts.Length];
        Train(Options(limit: 1000, epochs: 4), beforeStep: (_, step) =>
        {
            int window = Array.IndexOf(starts, step);
            if (window >= 0) allocated[window] = GC.GetAllocatedBytesForCurrentThread();
            window = Array.IndexOf(starts, step - 8);
            if (window >= 0) allocated[window] = GC.GetAllocatedBytesForCurrentThread() - allocated[window];
        });
        Assert.Equal(0, allocated.Min());
    }

    [Fact]
    public void EachEpochShufflesDifferentlyAndPurelyFromSeedAndEpoch()
    {
        int[] Order(int seed, int epoch)
        {
            int[] order = Enumerable.Range(0, 100).ToArray();
            var random = Trainer.ShuffleRandom(seed, epoch);
            random.Shuffle(order);
            return order;
        }
        Assert.Equal(Order(0, 1), Order(0, 1));
        Assert.NotEqual(Order(0, 0), Order(0, 1));
        Assert.NotEqual(Order(0, 0), Order(1, 0));
        Assert.Equal(Enumerable.Range(0, 100), Order(0, 0).Order());
    }

    [Fact]
    public void OneEpochThenResumeEqualsTwoEpochsBitForBit()
    {
        var whole = Train(Options(limit: 1000, epochs: 2) with { Schedule = LearningRateSchedule.None });
        var half = Train(Options(limit: 1000, epochs: 1) with { Schedule = LearningRateSchedule.None });
        var resumed = Train(Options(limit: 1000, epochs: 2, "epochs") with { Resume = half.Folder.CheckpointPath, Limit = null });

        Assert.Equal(TrainOutcome.Completed, resumed.Outcome);
        Assert.Single(resumed.Epochs); // this invocation trained epoch 2 only
        Assert.Equal(2, resumed.Epochs[0].Epoch);
        AssertBitIdentical(Weights(whole.Folder.WeightsPath), Weights(resumed.Folder.WeightsPath));
        AssertBitIdentical(OptimizerState(whole.Folder.CheckpointPath), OptimizerState(resumed.Folder.CheckpointPath));
        AssertBitIdentical(whole.Losses, resumed.Losses); // the first epoch's losses come from the earlier loss.csv
        Assert.Equal(whole.TestAccuracy, resumed.TestAccuracy);
        Assert.Equal(File.ReadAllText(whole.Folder.LossCsvPath), File.ReadAllText(resumed.Folder.LossCsvPath));
    }

    [Fact]
    public void AStoppedCosineRunResumesToTheSameWeights()
    {
        var whole = Train(Options(limit: 640, epochs: 3));
        var stopped = Train(Options(limit: 640, epochs: 3) with { StopAfter = 1 });
        Assert.Equal(TrainOutcome.Stopped, stopped.Outcome);
        var middle = Train(new TrainerOptions { Resume = stopped.Folder.CheckpointPath, StopAfter = 1, OutputDirectory = _temp.Path, NoPlot = true, Quiet = true });
        Assert.Equal(TrainOutcome.Stopped, middle.Outcome);
        var resumed = Train(new TrainerOptions { Resume = middle.Folder.CheckpointPath, OutputDirectory = _temp.Path, NoPlot = true, Quiet = true });
        Assert.Equal(TrainOutcome.Completed, resumed.Outcome);
        AssertBitIdentical(Weights(whole.Folder.WeightsPath), Weights(resumed.Folder.WeightsPath));
        AssertBitIdentical(whole.Losses, resumed.Losses);
    }

    [Fact]
    public void ResumeRefusesSettingsThatWouldChangeTheRun()
    {
        var run = Train(Options(limit: 200, epochs: 1));
        var resume = Options(limit: 200, epochs: 2, "batch", "epochs") with { Resume = run.Folder.CheckpointPath, Batch = 32 };
        var error = Assert.Throws<UsageException>(() => Trainer.ResolveResume(resume, out _));
        Assert.Equal("--batch contradicts the checkpoint, which was trained with batch 64; leave --batch out to resume.", error.Message);

        error = Assert.Throws<UsageException>(() => Trainer.ResolveResume(Options(limit: 200, epochs: 1) with { Resume = run.Folder.CheckpointPath }, out _));
        Assert.Contains("the checkpoint has done 1 of 1 epochs already", error.Message);

        var merged = Trainer.ResolveResume(Options(limit: 200, epochs: 3, "epochs", "lr") with { Resume = run.Folder.CheckpointPath, LearningRate = 5e-4f }, out var notes);
        Assert.Equal(3, merged.Epochs);
        Assert.Equal(200, merged.Limit);
        Assert.Contains(notes, note => note.StartsWith("--lr 0.0005 replaces the checkpoint's 0.001", StringComparison.Ordinal));
    }

    [Fact]
    public void AShortRunOnASubsetLearnsMnist()
    {
        var output = new StringWriter();
        var options = Options(limit: 6000, epochs: 3) with { Quiet = false, NoPlot = false };
        var result = new Trainer(options, _mnist.Data.Take(null, 1000), output).Run();

        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        Assert.Equal(3 * 94, result.Losses.Length);
        Assert.True(result.FinalAccuracy >= 0.80, $"test accuracy {result.FinalAccuracy:P2} after {result.Losses.Length} steps");
        Assert.True(result.Losses.Take(10).Average() > 3 * result.Losses.TakeLast(10).Average(), "the loss should fall");
        Assert.Equal(3, result.Epochs.Count);
        string text = output.ToString();
        Assert.Contains("epoch 3/3  train loss", text);
        Assert.Contains("final test accuracy: ", text);
        Assert.Contains("run folder: " + result.Folder.Path, text);
        Assert.Contains("epoch 1/3  step ", text); // redirected progress lines
        Assert.DoesNotContain("\r", text);

        foreach (string name in new[] { "loss.csv", "loss.png", "model.safetensors", "checkpoint.safetensors", "run.txt" })
            Assert.True(File.Exists(Path.Combine(result.Folder.Path, name)), name);
        string[] csv = File.ReadAllLines(result.Folder.LossCsvPath);
        Assert.Equal("step,epoch,loss", csv[0]);
        Assert.Equal(1 + result.Losses.Length, csv.Length);
        Assert.StartsWith("95,2,", csv[95]);
        byte[] png = File.ReadAllBytes(result.Folder.LossPlotPath);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void AnExplodingLearningRateStopsTheRunWithExitCodeThree()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = App.Run(["train", "--lr", "1e30", "--limit", "500", "--cache", MnistFixture.CacheDirectory, "--out", _temp.Path, "--no-plot"],
            output, error, liveProgress: false);
        Assert.Equal(CommandLineApp.ExitDiverged, exit);
        Assert.Matches(@"^mnist: stopped: the training loss became (NaN|\+infinity|-infinity) at epoch 1, step \d+ of 8 \(run step \d+\); try a lower --lr", error.ToString());
        Assert.Contains("No epoch had finished, so there is no checkpoint.", error.ToString());
        Assert.DoesNotContain("final test accuracy", output.ToString());
    }

    [Fact]
    public void ANaNInTheSecondEpochLeavesTheFirstEpochsCheckpointIntact()
    {
        const int stepsPerEpoch = 16; // 1000 images in batches of 64
        byte[]? checkpointAfterEpoch1 = null;
        string? checkpointPath = null;
        var result = Train(Options(limit: 1000, epochs: 3), beforeStep: (model, step) =>
        {
            if (step == stepsPerEpoch)
            {
                string folder = Directory.GetDirectories(_temp.Path).Single();
                checkpointPath = Path.Combine(folder, Checkpoint.CheckpointFileName);
                checkpointAfterEpoch1 = File.ReadAllBytes(checkpointPath);
            }
            // A weight of the first layer that faces the centre pixel, which is ink in some digit of every batch: the first
            // layer skips blank pixels, and a NaN facing only blank pixels would add nothing. That weight is stored
            // transposed, (784, 256): the centre pixel's row, first output.
            if (step == stepsPerEpoch + 3) model.Parameters[(14 * 28 + 14) * 256] = float.NaN;
        });

        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.StartsWith("the training loss became NaN at epoch 2, step 4 of 16 (run step 20)", result.Error);
        Assert.Contains("The checkpoint of epoch 1 is kept: " + checkpointPath, result.Error);
        Assert.Equal(checkpointAfterEpoch1, File.ReadAllBytes(checkpointPath!));
        var state = Checkpoint.Load(checkpointPath!, new MnistClassifier(), new AdamW());
        Assert.Equal(1, state.Epoch);
        Assert.All(Weights(result.Folder.WeightsPath), w => Assert.True(float.IsFinite(w)));
        string[] csv = File.ReadAllLines(result.Folder.LossCsvPath);
        Assert.Equal(1 + stepsPerEpoch + 4, csv.Length);
        Assert.Equal("20,2,NaN", csv[^1]);
        Assert.Single(result.TestAccuracy);
    }

    [Fact]
    public void EvalReportsAccuracyAndTheConfusionMatrix()
    {
        var run = Train(Options(limit: 2000, epochs: 1));
        var output = new StringWriter();
        int exit = App.Run(["eval", "--weights", run.Folder.WeightsPath, "--cache", MnistFixture.CacheDirectory, "--limit", "1000"],
            output, new StringWriter(), liveProgress: false);
        Assert.Equal(CommandLineApp.ExitOk, exit);
        string text = output.ToString();
        Assert.Contains("confusion matrix (rows: true class, columns: predicted class", text);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, "test accuracy: {0:0.00}%", 100 * run.FinalAccuracy), text);

        // The checkpoint evaluates the same.
        var fromCheckpoint = new StringWriter();
        App.Run(["eval", "--weights", run.Folder.CheckpointPath, "--cache", MnistFixture.CacheDirectory, "--limit", "1000"],
            fromCheckpoint, new StringWriter(), liveProgress: false);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, "test accuracy: {0:0.00}%", 100 * run.FinalAccuracy), fromCheckpoint.ToString());
    }
}
