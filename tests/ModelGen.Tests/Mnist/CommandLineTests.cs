using System;
using System.IO;
using ModelGen.Samples;
using ModelGen.Samples.Mnist;

namespace ModelGen.Tests.Mnist;

public sealed class CommandLineTests
{
    private static TrainerOptions Train(params string[] args) => Assert.IsType<TrainCommand>(CommandLine.Parse(args)).Options;

    private static string Error(params string[] args) => Assert.Throws<UsageException>(() => CommandLine.Parse(args)).Message;

    [Fact]
    public void NoArgumentsMeansTrainWithTheDocumentedDefaults()
    {
        var options = Train();
        Assert.Equal(5, options.Epochs);
        Assert.Equal(1e-3f, options.LearningRate);
        Assert.Equal(LearningRateSchedule.Cosine, options.Schedule);
        Assert.Equal(OptimizerKind.AdamW, options.Optimizer);
        Assert.Equal(0.01f, options.EffectiveWeightDecay);
        Assert.Equal(0.9f, options.Momentum);
        Assert.Equal(64, options.Batch);
        Assert.Equal(0, options.Seed);
        Assert.Equal(Environment.ProcessorCount, options.Threads);
        Assert.Equal(DatasetKind.Mnist, options.Dataset);
        Assert.Null(options.DataDirectory);
        Assert.Null(options.CacheDirectory);
        Assert.Equal("runs", options.OutputDirectory);
        Assert.Null(options.Resume);
        Assert.Null(options.Limit);
        Assert.Null(options.StopAfter);
        Assert.False(options.NoPlot);
        Assert.False(options.Quiet);
        Assert.Empty(options.Given);
        Assert.Equal(options, Train("train") with { Given = options.Given });
    }

    [Fact]
    public void EveryTrainOptionIsRead()
    {
        var options = Train("train", "--epochs", "7", "--lr=2e-3", "--lr-schedule", "none", "--optimizer", "sgd", "--momentum", "0.8",
            "--weight-decay", "0.0005", "--batch", "32", "--seed", "-3", "--threads", "3", "--dataset", "fashion", "--data", "d", "--cache", "c",
            "--out", "o", "--resume", "r.safetensors", "--stop-after", "2", "--limit", "1000", "--no-plot", "--quiet");
        Assert.Equal(7, options.Epochs);
        Assert.Equal(2e-3f, options.LearningRate);
        Assert.Equal(LearningRateSchedule.None, options.Schedule);
        Assert.Equal(OptimizerKind.Sgd, options.Optimizer);
        Assert.Equal(0.8f, options.Momentum);
        Assert.Equal(0.0005f, options.EffectiveWeightDecay);
        Assert.Equal(32, options.Batch);
        Assert.Equal(-3, options.Seed);
        Assert.Equal(3, options.Threads);
        Assert.Equal(DatasetKind.Fashion, options.Dataset);
        Assert.Equal("d", options.DataDirectory);
        Assert.Equal("c", options.CacheDirectory);
        Assert.Equal("o", options.OutputDirectory);
        Assert.Equal("r.safetensors", options.Resume);
        Assert.Equal(2, options.StopAfter);
        Assert.Equal(1000, options.Limit);
        Assert.True(options.NoPlot);
        Assert.True(options.Quiet);
        Assert.Contains("lr", options.Given);
        Assert.Contains("quiet", options.Given);
        Assert.DoesNotContain("help", options.Given);
    }

    [Fact]
    public void SgdDefaultsToNoWeightDecay() => Assert.Equal(0f, Train("--optimizer", "sgd").EffectiveWeightDecay);

    [Theory]
    [InlineData("--batch", "0", "--batch must be an integer from 1 to 64 (the model's batch capacity), not '0'.")]
    [InlineData("--batch", "65", "--batch must be an integer from 1 to 64 (the model's batch capacity), not '65'.")]
    [InlineData("--epochs", "five", "--epochs must be an integer from 1 to 100000, not 'five'.")]
    [InlineData("--epochs", "0", "--epochs must be an integer from 1 to 100000, not '0'.")]
    [InlineData("--lr", "0", "--lr must be a positive finite number such as 0.001 or 1e-3, not '0'.")]
    [InlineData("--lr", "NaN", "--lr must be a positive finite number such as 0.001 or 1e-3, not 'NaN'.")]
    [InlineData("--lr", "1,5", "--lr must be a positive finite number such as 0.001 or 1e-3, not '1,5'.")]
    [InlineData("--weight-decay", "-1", "--weight-decay must be a non-negative finite number such as 0.001 or 1e-3, not '-1'.")]
    [InlineData("--momentum", "1", "--momentum must be a number from 0 to below 1, not '1'.")]
    [InlineData("--optimizer", "adam", "--optimizer must be adamw or sgd, not 'adam'.")]
    [InlineData("--lr-schedule", "step", "--lr-schedule must be none or cosine, not 'step'.")]
    [InlineData("--dataset", "cifar", "--dataset must be mnist or fashion, not 'cifar'.")]
    [InlineData("--limit", "-5", "--limit must be an integer of at least 1, not '-5'.")]
    [InlineData("--seed", "1.5", "--seed must be an integer, not '1.5'.")]
    [InlineData("--threads", "0", "--threads must be an integer from 1 to 256, not '0'.")]
    public void BadValuesAreNamedWithWhatIsExpected(string option, string value, string message)
    {
        Assert.Equal(message, Error("train", option, value));
        Assert.Equal(message, Error(option + "=" + value));
    }

    [Fact]
    public void MistakesInTheShapeOfTheCommandLineAreExplained()
    {
        Assert.Equal("unknown option --epoch (did you mean --epochs?); see --help.", Error("--epoch", "3"));
        Assert.Equal("unknown option --frobnicate; see --help.", Error("--frobnicate"));
        Assert.Equal("--epochs needs a value (N).", Error("--epochs"));
        Assert.Equal("--epochs needs a value (N).", Error("--epochs", "--quiet"));
        Assert.Equal("--quiet takes no value, but was given 'yes'.", Error("--quiet=yes"));
        Assert.Equal("--seed is given twice.", Error("--seed", "1", "--seed", "2"));
        Assert.Equal("unexpected argument '5'; options start with --, see --help.", Error("train", "--quiet", "5"));
        Assert.Equal("unknown command 'fit'; the commands are train (the default) and eval.", Error("fit"));
        Assert.Equal("--stop-after 3 is more than --epochs 2.", Error("--epochs", "2", "--stop-after", "3"));
        Assert.Equal("eval needs --weights FILE (a model.safetensors or checkpoint.safetensors).", Error("eval", "--limit", "10"));
        Assert.Equal("unknown option --epochs; see --help.", Error("eval", "--weights", "w", "--epochs", "2"));
    }

    [Fact]
    public void EvalReadsItsOptions()
    {
        var options = Assert.IsType<EvalCommand>(CommandLine.Parse(["eval", "--weights", "m.safetensors", "--dataset", "fashion", "--limit", "100", "--data", "d"])).Options;
        Assert.Equal("m.safetensors", options.Weights);
        Assert.Equal(DatasetKind.Fashion, options.Dataset);
        Assert.Equal(100, options.Limit);
        Assert.Equal("d", options.DataDirectory);
        Assert.Null(options.CacheDirectory);
        Assert.Null(Assert.IsType<EvalCommand>(CommandLine.Parse(["eval", "--weights", "w"])).Options.Dataset);
    }

    [Fact]
    public void HelpDocumentsEveryOptionWithItsDefault()
    {
        Assert.Equal(CommandLine.MainHelp, Assert.IsType<HelpCommand>(CommandLine.Parse(["--help"])).Text);
        Assert.Equal(CommandLine.MainHelp, Assert.IsType<HelpCommand>(CommandLine.Parse(["-h"])).Text);
        Assert.Equal(CommandLine.TrainHelp, Assert.IsType<HelpCommand>(CommandLine.Parse(["train", "--epochs", "2", "--help"])).Text);
        Assert.Equal(CommandLine.EvalHelp, Assert.IsType<HelpCommand>(CommandLine.Parse(["eval", "--help"])).Text);
        Assert.Equal(CommandLine.TrainHelp, Assert.IsType<HelpCommand>(CommandLine.Parse(["help", "train"])).Text);

        foreach (string option in new[] { "--epochs", "--lr", "--lr-schedule", "--optimizer", "--momentum", "--weight-decay", "--batch",
            "--seed", "--dataset", "--data", "--cache", "--out", "--resume", "--stop-after", "--limit", "--no-plot", "--quiet", "--help" })
        {
            Assert.Contains(option, CommandLine.TrainHelp);
            Assert.Contains(option, CommandLine.MainHelp);
        }
        foreach (string text in new[] { "default 5", "default 0.001", "default cosine", "default adamw", "default 0.9", "default 0.01 with adamw",
            "default 64", "default 0", "default mnist", "default data/mnist", "default runs", "AVX-512" })
            Assert.Contains(text, CommandLine.MainHelp);
        foreach (string option in new[] { "--weights", "--dataset", "--data", "--cache", "--limit" })
            Assert.Contains(option, CommandLine.EvalHelp);
    }

    [Fact]
    public void TheAppMapsUsageErrorsToExitCodeTwo()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(CommandLineApp.ExitUsage, App.Run(["--batch", "100"], output, error, liveProgress: false));
        Assert.Contains("mnist: --batch must be an integer from 1 to 64", error.ToString());
        Assert.Contains("mnist --help", error.ToString());
        Assert.Equal("", output.ToString());

        Assert.Equal(CommandLineApp.ExitOk, App.Run(["--help"], output, error, liveProgress: false));
        Assert.StartsWith("mnist: trains and evaluates", output.ToString());
    }
}
