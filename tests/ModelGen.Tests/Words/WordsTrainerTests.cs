using System;
using System.IO;
using System.Linq;
using ModelGen.IO;
using ModelGen.Samples;
using ModelGen.Samples.Words;
using ModelGen.Tests.Mnist;

namespace ModelGen.Tests.Words;

/// <summary>The Words trainer in-process on evenly spread subsets of the real word list.</summary>
[Collection(WordsCollection.Name)]
public sealed class WordsTrainerTests : IDisposable
{
    private readonly WordsFixture _fixture;
    private readonly TempDirectory _temp = new();

    public WordsTrainerTests(WordsFixture fixture) => _fixture = fixture;

    public void Dispose() => _temp.Dispose();

    private TrainerOptions Options(int limit, int epochs = 1, int heldOut = 2000) => new()
    {
        Epochs = epochs,
        Limit = limit,
        HeldOutLimit = heldOut,
        OutputDirectory = _temp.Path,
        NoPlot = true,
        Quiet = true,
        Samples = 5,
    };

    private TrainResult Train(TrainerOptions options, TextWriter? output = null, Action<IModel<int>, long>? beforeStep = null)
        => new Trainer(options, _fixture.Words, output ?? TextWriter.Null) { BeforeStep = beforeStep }.Run();

    [Fact]
    public void AFewHundredStepsBeatTheBigramBaseline()
    {
        var output = new StringWriter();
        // 5 000 training words are about 45 000 characters: 355 steps of 128.
        var result = Train(Options(limit: 5000) with { Quiet = false, NoPlot = false }, output);

        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        Assert.InRange(result.Losses.Length, 300, 400);
        Assert.InRange(result.BigramValidationLoss, 2.3, 2.8); // one letter of context, add-one smoothing
        Assert.True(result.FinalValidationLoss < result.BigramValidationLoss,
            $"validation loss {result.FinalValidationLoss:0.0000} after {result.Losses.Length} steps, bigram {result.BigramValidationLoss:0.0000}");
        Assert.True(result.TestLoss < result.BigramTestLoss, $"test loss {result.TestLoss:0.0000}, bigram {result.BigramTestLoss:0.0000}");
        Assert.True(result.Losses.Take(20).Average() > result.Losses.TakeLast(20).Average() + 0.5, "the loss should fall from about ln 27 = 3.3");

        string text = output.ToString();
        Assert.Contains("bigram baseline (add-one smoothing): validation loss ", text);
        Assert.Contains("epoch 1/1  train loss ", text);
        Assert.Contains(" nats/char", text);
        Assert.Contains("test loss ", text);
        Assert.Contains("5 words sampled at temperature 0.8 (seed 0", text);
        Assert.Contains("run folder: " + result.Folder.Path, text);
        Assert.Contains("epoch 1/1  step ", text); // redirected progress lines
        Assert.Contains(" char/s  ETA ", text);
        Assert.Equal(5, result.Samples.Count);
        Assert.All(result.Samples, word => Assert.True(word.All(c => c is >= 'a' and <= 'z'), word));

        foreach (string name in new[] { "loss.csv", "loss.png", "model.safetensors", "checkpoint.safetensors", "run.txt" })
            Assert.True(File.Exists(Path.Combine(result.Folder.Path, name)), name);
        Assert.Equal(1 + result.Losses.Length, File.ReadAllLines(result.Folder.LossCsvPath).Length);
        Assert.Contains("dropout = 0.1", File.ReadAllText(Path.Combine(result.Folder.Path, "run.txt")));

        // The saved weights are the trained model: loaded into a fresh one, they give the same validation loss.
        var loaded = new WordModel(seed: 99);
        Checkpoint.LoadWeights(result.Folder.WeightsPath, loaded);
        var validation = Examples.FromWords(_fixture.Words.Take(5000, 2000).Validation, WordModelShape.Context);
        Assert.Equal(result.FinalValidationLoss, Trainer.Evaluate(loaded, validation), 6);
    }

    [Fact]
    public void TheSameSeedGivesBitIdenticalRunsAndDropoutZeroIsAnotherModel()
    {
        var first = Train(Options(limit: 400, heldOut: 200) with { Seed = 5 });
        var second = Train(Options(limit: 400, heldOut: 200) with { Seed = 5 });
        Assert.Equal(first.Losses.Select(BitConverter.SingleToInt32Bits), second.Losses.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.Samples, second.Samples);
        Assert.Equal(File.ReadAllBytes(first.Folder.WeightsPath), File.ReadAllBytes(second.Folder.WeightsPath));

        var other = Train(Options(limit: 400, heldOut: 200) with { Seed = 6 });
        Assert.NotEqual(first.Losses, other.Losses);

        // The same seed initialises both classes alike; only the Dropout masks differ, so the first loss is the same.
        var noDropout = Train(Options(limit: 400, heldOut: 200) with { Seed = 5, Dropout = 0 });
        Assert.IsType<WordModelNoDropout>(Trainer.CreateModel(0));
        Assert.NotEqual(first.Losses, noDropout.Losses);
        Assert.Equal(first.Losses[0], noDropout.Losses[0], 0.05f);
    }

    [Fact]
    public void TrainingStepsAllocateNothing()
    {
        // 1 500 words are about 13 500 characters: 106 steps per epoch. Windows of eight steps in epoch 2.
        long[] starts = [120, 140, 160], allocated = new long[starts.Length];
        Train(Options(limit: 1500, epochs: 2, heldOut: 100), beforeStep: (_, step) =>
        {
            int window = Array.IndexOf(starts, step);
            if (window >= 0) allocated[window] = GC.GetAllocatedBytesForCurrentThread();
            window = Array.IndexOf(starts, step - 8);
            if (window >= 0) allocated[window] = GC.GetAllocatedBytesForCurrentThread() - allocated[window];
        });
        Assert.Equal(0, allocated.Min());
    }

    [Fact]
    public void TheSampleCommandReadsSavedWeightsAndChecksThePrefix()
    {
        var run = Train(Options(limit: 2000, heldOut: 200));
        var output = new StringWriter();
        int exit = App.Run(["sample", "--weights", run.Folder.WeightsPath, "--count", "6", "--seed", "3", "--prefix", "un", "--temperature", "0.5"],
            output, new StringWriter(), liveProgress: false);
        Assert.Equal(CommandLineApp.ExitOk, exit);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("6 words from ", lines[0]);
        string[] words = lines.Skip(1).SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(w => w.TrimEnd('*', '+', '\r')).ToArray();
        Assert.Equal(6, words.Length);
        Assert.All(words, w => Assert.StartsWith("un", w));

        var error = new StringWriter();
        exit = App.Run(["sample", "--weights", run.Folder.WeightsPath, "--prefix", "crème"], new StringWriter(), error, liveProgress: false);
        Assert.Equal(CommandLineApp.ExitUsage, exit);
        Assert.Contains("--prefix: 'crème' has 'è' (U+00E8) at position 3, which is not in the vocabulary: the model knows the letters a-z only.", error.ToString());
    }

    [Fact]
    public void TheSplitIsAboutEightyTenTenAndDisjoint()
    {
        var words = _fixture.Words;
        int total = words.Train.Length + words.Validation.Length + words.Test.Length;
        Assert.InRange(total, 60_000, 90_000);
        Assert.InRange(words.Train.Length / (double)total, 0.78, 0.82);
        Assert.InRange(words.Validation.Length / (double)total, 0.09, 0.11);
        Assert.InRange(words.Test.Length / (double)total, 0.09, 0.11);
        Assert.Empty(words.Train.Intersect(words.Validation));
        Assert.Empty(words.Train.Intersect(words.Test));
        Assert.Empty(words.Validation.Intersect(words.Test));
        Assert.All(words.Validation, w => Assert.Equal(Split.Validation, WordList.SplitOf(w)));
    }
}
