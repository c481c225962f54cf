using System;
using System.IO;
using System.Linq;
using ModelGen.Samples;
using ModelGen.Samples.Mnist;

namespace ModelGen.Tests.Mnist;

/// <summary>What a run leaves and shows: folders, loss.csv, the progress display, the confusion matrix, the plot.</summary>
public sealed class RunOutputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void RunFoldersAreNamedByDataSetAndTimeAndNeverShared()
    {
        var now = new DateTime(2025, 3, 14, 15, 9, 26);
        var first = RunFolder.Create(_temp.Path, "mnist", now, "a = 1\n");
        var second = RunFolder.Create(_temp.Path, "mnist", now, "a = 2\n");
        var third = RunFolder.Create(_temp.Path, "mnist", now, "a = 3\n");
        Assert.Equal(Path.Combine(_temp.Path, "mnist-20250314-150926"), first.Path);
        Assert.Equal(first.Path + "-2", second.Path);
        Assert.Equal(first.Path + "-3", third.Path);
        Assert.Equal("a = 2\n", File.ReadAllText(Path.Combine(second.Path, "run.txt")));
        Assert.Equal(Path.Combine(first.Path, "checkpoint.safetensors"), first.CheckpointPath);
    }

    [Fact]
    public void LossCsvRoundTripsEveryStepExactly()
    {
        var folder = RunFolder.Create(_temp.Path, "mnist", DateTime.Now, "");
        float[] losses = [2.3025851f, 1.5f, 0.1f + 1e-9f, float.NaN, 0.04f];
        folder.WriteLosses(losses, 5, stepsPerEpoch: 2);
        Assert.Equal(["step,epoch,loss", "1,1,2.3025851", "2,1,1.5", "3,2,0.1", "4,2,NaN", "5,3,0.04"], File.ReadAllLines(folder.LossCsvPath));
        var read = new float[5];
        Assert.Equal(5, RunFolder.ReadLosses(folder.LossCsvPath, read));
        Assert.Equal(losses.Select(BitConverter.SingleToInt32Bits), read.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(0, RunFolder.ReadLosses(Path.Combine(_temp.Path, "absent.csv"), read));
        Assert.False(File.Exists(folder.LossCsvPath + ".tmp"));
    }

    [Fact]
    public void RedirectedProgressIsAPlainLineEveryTenthOfAnEpoch()
    {
        var output = new StringWriter();
        var progress = new ProgressDisplay(output, live: false, quiet: false);
        progress.StartEpoch();
        for (int step = 1; step <= 938; step++) progress.Update(1, 5, step, 938, 0.5f, 40_000, TimeSpan.FromSeconds(75));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(9, lines.Length);
        Assert.Equal("epoch 1/5  step  94/938  loss 0.5000   40,000 img/s  ETA 1:15", lines[0].TrimEnd('\r'));
        Assert.DoesNotContain("\r", output.ToString().Replace(Environment.NewLine, "\n"));

        var quiet = new StringWriter();
        var silent = new ProgressDisplay(quiet, live: true, quiet: true);
        silent.Update(1, 1, 1, 1, 0.5f, 1, TimeSpan.Zero);
        Assert.Equal("", quiet.ToString());
    }

    [Fact]
    public void LiveProgressRedrawsOneLineInPlace()
    {
        var output = new StringWriter();
        var progress = new ProgressDisplay(output, live: true, quiet: false);
        progress.StartEpoch();
        progress.Update(1, 5, 1, 10, 2.5f, 1000, TimeSpan.FromHours(1.5));
        progress.Update(1, 5, 10, 10, 0.5f, 1000, TimeSpan.Zero); // the last step is always drawn
        progress.Clear();
        string text = output.ToString();
        Assert.StartsWith("\repoch 1/5  step  1/10  loss 2.5000    1,000 img/s  ETA 1:30:00", text);
        Assert.Contains("\repoch 1/5  step 10/10  loss 0.5000", text);
        Assert.DoesNotContain("\n", text);
        Assert.EndsWith("\r", text);
    }

    [Fact]
    public void TheConfusionMatrixHasTrueClassesInRowsAndRecallAtTheEnd()
    {
        var matrix = new int[10, 10];
        for (int i = 0; i < 10; i++) matrix[i, i] = 95;
        matrix[4, 9] = 5;
        string text = Evaluator.FormatConfusionMatrix(matrix, MnistData.ClassNamesOf(DatasetKind.Mnist));
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length);
        Assert.Contains("predicted", lines[0]);
        Assert.StartsWith("true", lines[1]);
        Assert.Contains("recall", lines[1]);
        Assert.StartsWith("4", lines[6]);
        Assert.Contains("[95]", lines[6]);
        Assert.EndsWith("95.00%", lines[6].TrimEnd());
        Assert.EndsWith("100.00%", lines[2].TrimEnd());
        Assert.Contains("Ankle boot", Evaluator.FormatConfusionMatrix(matrix, MnistData.ClassNamesOf(DatasetKind.Fashion)));
    }

    [Fact]
    public void TheLossPlotIsAPng()
    {
        var losses = Enumerable.Range(0, 300).Select(i => 2.3f * MathF.Exp(-i / 60f) + 0.01f).ToArray();
        losses[17] = float.NaN; // left out, not fatal
        string path = Path.Combine(_temp.Path, "loss.png");
        LossPlot.Save(path, "test", losses, stepsPerEpoch: 100, [0.9, 0.95, 0.97]);
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void TheCosineScheduleStartsAtThePeakAndEndsNearZero()
    {
        Assert.Equal(1e-3f, LearningRate.At(LearningRateSchedule.None, 1e-3f, 500, 1000));
        Assert.Equal(1e-3f, LearningRate.At(LearningRateSchedule.Cosine, 1e-3f, 0, 1000));
        Assert.Equal(0.5e-3f, LearningRate.At(LearningRateSchedule.Cosine, 1e-3f, 500, 1000), 1e-9f);
        Assert.InRange(LearningRate.At(LearningRateSchedule.Cosine, 1e-3f, 999, 1000), 0f, 1e-8f);
    }
}
