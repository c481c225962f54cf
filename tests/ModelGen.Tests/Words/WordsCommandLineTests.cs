using System.IO;
using ModelGen.Samples;
using ModelGen.Samples.Words;

namespace ModelGen.Tests.Words;

public sealed class WordsCommandLineTests
{
    private static TrainerOptions Train(params string[] args) => Assert.IsType<TrainCommand>(CommandLine.Parse(args)).Options;

    private static string Error(params string[] args) => Assert.Throws<UsageException>(() => CommandLine.Parse(args)).Message;

    [Fact]
    public void NoArgumentsMeansTrainWithTheDocumentedDefaults()
    {
        var options = Train();
        Assert.Equal(10, options.Epochs);
        Assert.Equal(3e-3f, options.LearningRate);
        Assert.Equal(LearningRateSchedule.Cosine, options.Schedule);
        Assert.Equal(0.01f, options.WeightDecay);
        Assert.Equal(128, options.Batch);
        Assert.Equal(0.1, options.Dropout);
        Assert.Equal(0, options.Seed);
        Assert.Equal("/usr/share/dict/american-english", options.WordsPath);
        Assert.Null(options.Limit);
        Assert.Null(options.HeldOutLimit);
        Assert.Equal(0.8f, options.Temperature);
        Assert.Equal(20, options.Samples);
        Assert.Equal("runs", options.OutputDirectory);
        Assert.Equal(options, Train("train"));
    }

    [Fact]
    public void EveryTrainOptionIsRead()
    {
        var options = Train("train", "--epochs", "3", "--lr=1e-3", "--lr-schedule", "none", "--weight-decay", "0", "--batch", "64",
            "--dropout", "0", "--seed", "-2", "--words", "w.txt", "--limit", "100", "--held-out-limit", "50", "--temperature", "1.5",
            "--samples", "0", "--out", "o", "--no-plot", "--quiet");
        Assert.Equal(new TrainerOptions
        {
            Epochs = 3, LearningRate = 1e-3f, Schedule = LearningRateSchedule.None, WeightDecay = 0, Batch = 64, Dropout = 0, Seed = -2,
            WordsPath = "w.txt", Limit = 100, HeldOutLimit = 50, Temperature = 1.5f, Samples = 0, OutputDirectory = "o", NoPlot = true, Quiet = true,
        }, options);
    }

    [Theory]
    [InlineData("--dropout", "0.5", "--dropout must be 0 or 0.1, not '0.5': Dropout's p is fixed when the model is compiled (see WordModel.cs).")]
    [InlineData("--temperature", "0", "--temperature must be a number above 0 and at most 100, such as 0.8, not '0'.")]
    [InlineData("--temperature", "warm", "--temperature must be a number above 0 and at most 100, such as 0.8, not 'warm'.")]
    [InlineData("--batch", "129", "--batch must be an integer from 1 to 128 (the model's batch capacity), not '129'.")]
    [InlineData("--lr-schedule", "step", "--lr-schedule must be none or cosine, not 'step'.")]
    public void BadValuesAreNamedWithWhatIsExpected(string option, string value, string message) => Assert.Equal(message, Error(option, value));

    [Fact]
    public void SampleNeedsWeightsAndHelpListsEveryOption()
    {
        Assert.Equal("sample needs --weights FILE (a model.safetensors or checkpoint.safetensors).", Error("sample", "--count", "3"));
        Assert.Equal("unknown command 'generate'; the commands are train (the default) and sample.", Error("generate"));
        var sample = Assert.IsType<SampleCommand>(CommandLine.Parse(["sample", "--weights", "m", "--prefix", "qu"])).Options;
        Assert.Equal(("m", "qu", 20, 0.8f), (sample.Weights, sample.Prefix, sample.Count, sample.Temperature));

        foreach (string option in new[] { "--epochs", "--lr", "--lr-schedule", "--weight-decay", "--batch", "--dropout", "--seed", "--words",
            "--limit", "--held-out-limit", "--temperature", "--samples", "--out", "--no-plot", "--quiet", "wamerican", "bigram" })
            Assert.Contains(option, CommandLine.MainHelp);
        foreach (string option in new[] { "--weights", "--count", "--temperature", "--seed", "--prefix" })
            Assert.Contains(option, CommandLine.SampleHelp);

        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(CommandLineApp.ExitUsage, App.Run(["--dropout", "0.3"], output, error, liveProgress: false));
        Assert.StartsWith("words: --dropout must be 0 or 0.1", error.ToString());
        Assert.Equal(CommandLineApp.ExitOk, App.Run(["--help"], output, error, liveProgress: false));
        Assert.StartsWith("words: a character-level language model", output.ToString());
    }
}
