using System;
using System.Linq;

namespace ModelGen.Tests.Models;

/// <summary>The generated API: shapes and names, argument checks, modes, accumulation, allocation, training.</summary>
public sealed class GeneratedModelTests
{
    private static float[] Floats(int count, int seed)
    {
        var rng = new Rng((ulong)seed);
        return Enumerable.Range(0, count).Select(_ => rng.NextFloat()).ToArray();
    }

    [Fact]
    public void ParameterTableHasPyTorchNamesShapesAndContiguousOffsets()
    {
        var model = new MnistClassifier();
        string[] expected =
        [
            "body.layers.0.weight (256, 784), stored as (784, 256)", "body.layers.0.bias (256)",
            "body.layers.1.weight (256)", "body.layers.1.bias (256)",
            "body.layers.3.weight (256, 256)", "body.layers.3.bias (256)",
            "body.layers.4.weight (256)", "body.layers.4.bias (256)",
            "body.layers.6.weight (256, 256)", "body.layers.6.bias (256)",
            "head.fc.weight (10, 256)", "head.fc.bias (10)",
        ];
        Assert.Equal(expected, model.ParameterTable.Select(p => p.ToString()));
        // Only the layer that reads the model's input keeps its weight transposed.
        Assert.Equal(["body.layers.0.weight"], model.ParameterTable.Where(p => p.StoredTransposed).Select(p => p.Name));
        Assert.Equal([784, 256], model.ParameterTable[0].StorageShape);
        int offset = 0;
        foreach (var p in model.ParameterTable)
        {
            Assert.Equal(offset, p.Offset);
            offset += p.Length;
        }
        Assert.Equal(MnistClassifier.ParameterCount, offset);
        Assert.Equal(784 * 256 + 256 + 2 * 256 + 256 * 256 + 256 + 2 * 256 + 256 * 256 + 256 + 2560 + 10, offset);
    }

    [Fact]
    public void ModulePropertiesExposeTheParameters()
    {
        var model = new MnistClassifier();
        Assert.Equal(3, model.Body.Linears.Count);
        Assert.Equal(2, model.Body.Norms.Count);
        Assert.Equal("body.layers.3.weight", model.Body.Linears[1].Weight.Name);
        Assert.Equal(256 * 784, model.Body.Linears[0].Weight.Data.Length);
        Assert.Equal("head.fc.bias", model.Head.Fc.Bias!.Name);
        Assert.Equal(model.ParameterTable.Select(p => p.Name), model.Body.Parameters.Concat(model.Head.Parameters).Select(p => p.Name));
        // The module views and the arena are the same memory.
        model.Head.Fc.Bias.Data[3] = 42f;
        Assert.Equal(42f, model.GetParameter("head.fc.bias").Data[3]);
        var error = Assert.Throws<ArgumentException>(() => model.GetParameter("head.weight"));
        Assert.Contains("head.fc.weight", error.Message);
    }

    [Fact]
    public void InitialisationFollowsPyTorchDefaults()
    {
        var model = new MnistClassifier(seed: 3);
        var w0 = model.GetParameter("body.layers.0.weight").Data.ToArray();
        float bound = 1f / MathF.Sqrt(784);
        Assert.All(w0, v => Assert.InRange(v, -bound, bound));
        Assert.True(w0.Max() > 0.95f * bound && w0.Min() < -0.95f * bound, "kaiming_uniform(a=√5) spans U(±1/√in)");
        Assert.All(model.GetParameter("body.layers.1.weight").Data.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(model.GetParameter("body.layers.1.bias").Data.ToArray(), v => Assert.Equal(0f, v));
        var embedding = new TinyCharModel(seed: 3).GetParameter("token_embedding.weight").Data.ToArray();
        Assert.Contains(embedding, v => Math.Abs(v) > 1f / MathF.Sqrt(4)); // N(0, 1), not a small uniform
        Assert.Equal(new MnistClassifier(seed: 3).Parameters.ToArray(), model.Parameters.ToArray());
        Assert.NotEqual(new MnistClassifier(seed: 4).Parameters.ToArray(), model.Parameters.ToArray());
    }

    [Fact]
    public void RowsAndSpanLengthsAreChecked()
    {
        var model = new SmallMlp();
        var output = new float[SmallMlp.OutputSize];
        var rowsError = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new float[9 * 12], 9, new float[9 * 5]));
        Assert.Contains("batch capacity 8", rowsError.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new float[12], 0, output));
        var lengthError = Assert.Throws<ArgumentException>(() => model.Forward(new float[11], 1, output));
        Assert.Contains("input holds 11 values, but 1 rows × 12 values per row need exactly 12", lengthError.Message);
        Assert.Throws<ArgumentException>(() => model.Loss(new float[24], new int[3], 2));
        var targetError = Assert.Throws<ArgumentOutOfRangeException>(() => model.Loss(new float[12], [5], 1));
        Assert.Contains("5", targetError.Message);
        Assert.Throws<InvalidOperationException>(() => new SmallMlp().Backward());
    }

    [Fact]
    public void EmbeddingIdOutOfRangeNamesTheIdAndItsPosition()
    {
        var model = new TinyCharModel();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Loss([1, 2, 3, 4, 9, 0], [0, 1], 2));
        Assert.Contains("9", error.Message);
        Assert.Contains("4", error.Message); // its position
    }

    [Fact]
    public void DropoutIsActiveOnlyInTrainMode()
    {
        var model = new TinyCharModel(seed: 5);
        int[] ids = [1, 2, 3, 4, 5, 6];
        var a = new float[2 * TinyCharModel.OutputSize];
        var b = new float[a.Length];
        Assert.True(model.IsTraining); // as a new nn.Module
        model.Forward(ids, 2, a);
        model.Forward(ids, 2, b);
        Assert.NotEqual(a, b);
        model.Eval();
        Assert.False(model.IsTraining);
        model.Forward(ids, 2, a);
        model.Forward(ids, 2, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void GradientsAccumulateUntilZeroGrad()
    {
        var model = new SmallMlp(seed: 2);
        var x = Floats(4 * 12, 1);
        int[] targets = [0, 1, 2, 3];
        model.ZeroGrad();
        model.Loss(x, targets, 4);
        model.Backward();
        var once = model.Gradients.ToArray();
        model.Loss(x, targets, 4);
        model.Backward();
        var twice = model.Gradients.ToArray();
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], twice[i], 1e-6f + 1e-5f * Math.Abs(twice[i]));
        model.ZeroGrad();
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    // TrainStep reads the caller's input where it is and writes the gradients afresh, where ZeroGrad, Loss, Backward
    // and Step go through Loss's copy and add into zeros: the same losses, gradients, optimizer state and parameters,
    // bit for bit, and the input left as it was. From the second step on, TrainStep writes over the last gradients.
    [Fact]
    public void TrainStepMatchesZeroGradLossBackwardStep()
    {
        var x = Floats(64 * 784, 4);
        for (int i = 0; i < x.Length; i++) if (x[i] < 0.6f) x[i] = 0; // blank pixels, as in images: the first layer skips them
        AssertTrainStepMatchesItsParts(() => new MnistClassifier(seed: 1), x, Enumerable.Range(0, 64).Select(i => i % 10).ToArray(), 64);
        AssertTrainStepMatchesItsParts(() => new SmallMlp(seed: 2), Floats(8 * 12, 5), [0, 1, 2, 3, 4, 0, 1, 2], 7);
        AssertTrainStepMatchesItsParts(() => new TinyCharModel(seed: 3), [1, 2, 3, 4, 5, 6, 0, 1, 2, 6, 5, 4], [0, 3, 6, 2], 4);
        AssertTrainStepMatchesItsParts(() => new EveryLayer(seed: 4), Floats(5 * 6, 6), [0, 1, 2, 1, 0], 5);
    }

    // TimeKernels only reads the clock: the timed model trains exactly as the untimed one, and every call site is
    // counted once per pass that runs it (the forward's in every pass, the backward's and the step's in training).
    [Fact]
    public void TimedModelTrainsAsTheUntimedOneAndCountsEveryCall()
    {
        var timed = new TimedEveryLayer(seed: 4);
        var plain = new EveryLayer(seed: 4);
        var timedOptimizer = new AdamW(learningRate: 0.01f);
        var plainOptimizer = new AdamW(learningRate: 0.01f);
        var x = Floats(5 * 6, 6);
        int[] y = [0, 1, 2, 1, 0];
        for (int step = 0; step < 4; step++)
        {
            float timedLoss = timed.TrainStep(x, y, 5, timedOptimizer);
            float plainLoss = plain.TrainStep(x, y, 5, plainOptimizer);
            Assert.Equal(BitConverter.SingleToInt32Bits(plainLoss), BitConverter.SingleToInt32Bits(timedLoss));
        }
        Assert.True(Bits(plain.Parameters).SequenceEqual(Bits(timed.Parameters)));
        Assert.True(Bits(plain.OptimizerState).SequenceEqual(Bits(timed.OptimizerState)));

        KernelTimes times = timed.KernelTimes;
        Assert.Equal(times.Sites.Count, times.Sites.Distinct().Count() + times.Sites.Count - times.Sites.Distinct().Count());
        Assert.Contains("proj to mixer · ForRowBlocks", times.Sites);
        Assert.Contains("cross-entropy · CrossEntropyForward", times.Sites);
        Assert.Equal("optimizer · Step", times.Sites[^1]);
        for (int i = 0; i < times.Sites.Count; i++)
        {
            Assert.True(times.Calls(i) == 4, $"{times.Sites[i]}: {times.Calls(i)} calls in 4 steps");
            Assert.True(times.Time(i) >= TimeSpan.Zero);
        }
        Assert.True(times.Total > TimeSpan.Zero);
        string table = times.Format(4);
        Assert.Contains("optimizer · Step", table);
        Assert.EndsWith("100.0%  total", table);

        times.Reset();
        Assert.Equal(TimeSpan.Zero, times.Total);
        timed.Eval();
        timed.Predict(x, 5, new int[5]);
        // A forward pass alone: its sites once each (Dropout's only in training), the others not at all.
        Assert.Equal(1, times.Calls(times.Sites.ToList().IndexOf("proj to mixer · ForRowBlocks")));
        Assert.Equal(0, times.Calls(times.Sites.Count - 1));
    }

    private static ReadOnlySpan<int> Bits(Span<float> values) => System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(values);

    private static void AssertTrainStepMatchesItsParts<TInput>(Func<IModel<TInput>> create, TInput[] input, int[] targets, int rows)
        where TInput : unmanaged
    {
        IModel<TInput> whole = create(), parts = create();
        var wholeOptimizer = new AdamW(learningRate: 0.01f);
        var partsOptimizer = new AdamW(learningRate: 0.01f);
        var before = input.ToArray();
        var x = input.AsSpan(0, rows * whole.InputSize);
        var y = targets.AsSpan(0, rows * whole.TargetsPerRow);
        for (int step = 0; step < 3; step++)
        {
            float wholeLoss = whole.TrainStep(x, y, rows, wholeOptimizer);
            parts.ZeroGrad();
            float partsLoss = parts.Loss(x, y, rows);
            parts.Backward();
            parts.Step(partsOptimizer);
            Assert.Equal(BitConverter.SingleToInt32Bits(partsLoss), BitConverter.SingleToInt32Bits(wholeLoss));
            Assert.True(Bits(parts.Gradients).SequenceEqual(Bits(whole.Gradients)), $"gradients differ at step {step}");
            Assert.True(Bits(parts.OptimizerState).SequenceEqual(Bits(whole.OptimizerState)), $"optimizer state differs at step {step}");
            Assert.True(Bits(parts.Parameters).SequenceEqual(Bits(whole.Parameters)), $"parameters differ at step {step}");
        }
        Assert.Equal(before, input);
        // TrainStep kept no copy of the input, so there is nothing for another Backward to read.
        var error = Assert.Throws<InvalidOperationException>(whole.Backward);
        Assert.Contains("TrainStep", error.Message);
    }

    [Fact]
    public void PredictAndCountCorrectAgreeWithForward()
    {
        var model = new SmallMlp(seed: 8);
        model.Eval();
        var x = Floats(6 * 12, 2);
        var logits = new float[6 * 5];
        model.Forward(x, 6, logits);
        var predictions = new int[6];
        model.Predict(x, 6, predictions);
        for (int r = 0; r < 6; r++)
        {
            var row = logits.AsSpan(r * 5, 5).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), predictions[r]);
        }
        Assert.Equal(6, model.CountCorrect(x, predictions, 6));
        Assert.Equal(0, model.CountCorrect(x, predictions.Select(p => (p + 1) % 5).ToArray(), 6));
    }

    [Fact]
    public void TrainStepAllocatesNothing()
    {
        var model = new MnistClassifier(seed: 0);
        var optimizer = new AdamW();
        var x = Floats(64 * 784, 3);
        var y = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        var logits = new float[64 * 10];
        model.TrainStep(x, y, 64, optimizer); // warm up: JIT, kernels' first-use scratch
        model.TrainStep(x.AsSpan(0, 17 * 784), y.AsSpan(0, 17), 17, optimizer);
        model.Forward(x, 64, logits);

        long allocated = SteadyState.AllocatedBytes(() =>
        {
            model.Train();
            for (int step = 0; step < 100; step++)
            {
                int rows = step % 7 == 6 ? 17 : 64; // partial batches too
                model.TrainStep(x.AsSpan(0, rows * 784), y.AsSpan(0, rows), rows, optimizer);
            }
            model.Eval();
            model.Forward(x, 64, logits);
            model.CountCorrect(x, y, 64);
        });
        Assert.Equal(0, allocated);
    }

    /// <summary>Ten Gaussian blobs in 12 dimensions; the model must separate them, identically on every run.</summary>
    private static float[] TrainOnBlobs(out float accuracy)
    {
        const int count = 400;
        var rng = new Rng(123);
        var centres = Enumerable.Range(0, 5 * 12).Select(_ => 3f * rng.NextNormal()).ToArray();
        var x = new float[count * 12];
        var y = new int[count];
        for (int i = 0; i < count; i++)
        {
            y[i] = i % 5;
            for (int j = 0; j < 12; j++) x[i * 12 + j] = centres[y[i] * 12 + j] + rng.NextNormal();
        }

        var model = new SmallMlp(seed: 42);
        var optimizer = new AdamW(learningRate: 3e-3f);
        var losses = new float[300];
        for (int step = 0; step < losses.Length; step++)
        {
            int start = step * 8 % count;
            losses[step] = model.TrainStep(x.AsSpan(start * 12, 8 * 12), y.AsSpan(start, 8), 8, optimizer);
        }
        model.Eval();
        int correct = 0;
        for (int start = 0; start < count; start += 8) correct += model.CountCorrect(x.AsSpan(start * 12, 8 * 12), y.AsSpan(start, 8), 8);
        accuracy = correct / (float)count;
        return losses;
    }

    [Fact]
    public void LearnsASeparableProblemDeterministically()
    {
        var first = TrainOnBlobs(out float accuracy);
        var second = TrainOnBlobs(out _);
        Assert.True(accuracy >= 0.95f, $"accuracy {accuracy:P1} after 300 steps");
        Assert.True(first[^20..].Average() < first[..20].Average() / 4, "the loss falls");
        Assert.Equal(first, second); // bit-identical losses for the same seed
    }
}
