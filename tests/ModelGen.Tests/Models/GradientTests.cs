using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen.Tests.Models;

/// <summary>
/// Whole generated models against the double-precision <see cref="Reference"/>: the loss must match the reference
/// loss, and every parameter gradient from the generated backward must match a central finite difference of the
/// reference loss. Dropout runs in train mode with the model's generator reset to the same state for both.
/// Tolerances: loss to 1e-5 relative; gradients to 2e-4 + 2e-3·|fd| (float32 arithmetic against exact double).
/// </summary>
public sealed class GradientTests
{
    private delegate double[] ReferenceLogits(Func<string, double[]> p, ref Rng rng);

    private static double[] RandomFloats(int count, int seed, double scale = 1)
    {
        var rng = new Rng((ulong)seed);
        return Enumerable.Range(0, count).Select(_ => (double)(float)(rng.NextNormal() * scale)).ToArray();
    }

    private static int[] RandomInts(int count, int max, int seed)
    {
        var rng = new Rng((ulong)seed);
        return Enumerable.Range(0, count).Select(_ => rng.NextInt(max)).ToArray();
    }

    /// <summary>Checks loss and every parameter gradient (at most <paramref name="perTensor"/> elements of each tensor).</summary>
    private static void Check<TInput>(IModel<TInput> model, TInput[] input, int[] targets, int rows, ReferenceLogits reference, int perTensor = int.MaxValue)
        where TInput : unmanaged
    {
        // Move the weights away from their initial symmetric values (norm weights are all ones, biases zero).
        var jitter = new Rng(99);
        foreach (ref float v in model.Parameters) v += 0.1f * jitter.NextNormal();

        var start = model.Random;
        model.ZeroGrad();
        float loss = model.Loss(input, targets, rows);
        model.Backward();
        var gradients = model.Gradients.ToArray();

        // In PyTorch's layout, which the reference takes, whatever the arena's (the first layer's weight is stored transposed).
        var theta = model.ParameterTable.ToDictionary(p => p.Name, p => p.ToArray(model.Parameters).Select(v => (double)v).ToArray());
        double ReferenceLoss()
        {
            var rng = start;
            var logits = reference(name => theta[name], ref rng);
            return Reference.CrossEntropy(logits, targets, targets.Length, model.ClassCount);
        }

        double expectedLoss = ReferenceLoss();
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {loss} vs reference {expectedLoss}");

        const double h = 1e-6;
        foreach (var info in model.ParameterTable)
        {
            var values = theta[info.Name];
            var backward = info.ToArray(gradients);
            int step = Math.Max(1, values.Length / perTensor);
            for (int i = 0; i < values.Length; i += step)
            {
                double saved = values[i];
                values[i] = saved + h;
                double plus = ReferenceLoss();
                values[i] = saved - h;
                double minus = ReferenceLoss();
                values[i] = saved;
                double fd = (plus - minus) / (2 * h);
                double g = backward[i];
                Assert.True(Math.Abs(g - fd) <= 2e-4 + 2e-3 * Math.Abs(fd), $"{info.Name}[{i}]: backward {g}, finite difference {fd}");
            }
        }
    }

    [Fact]
    public void SmallMlp_LinearLayerNormGeluHead()
    {
        var model = new SmallMlp(seed: 1);
        const int rows = 5; // a partial batch: capacity is 8
        var x = RandomFloats(rows * SmallMlp.InputSize, 2);
        var targets = RandomInts(rows, SmallMlp.ClassCount, 3);
        Check(model, x.Select(v => (float)v).ToArray(), targets, rows, (Func<string, double[]> p, ref Rng _) =>
        {
            var h = Reference.Linear(x, rows, 12, 16, p("body.layers.0.weight"), p("body.layers.0.bias"));
            h = Reference.LayerNorm(h, rows, 16, p("body.layers.1.weight"), p("body.layers.1.bias"), 1e-5);
            h = Reference.Gelu(h);
            h = Reference.Linear(h, rows, 16, 16, p("body.layers.3.weight"), p("body.layers.3.bias"));
            h = Reference.LayerNorm(h, rows, 16, p("body.layers.4.weight"), p("body.layers.4.bias"), 1e-5);
            h = Reference.Gelu(h);
            h = Reference.Linear(h, rows, 16, 9, p("body.layers.6.weight"), p("body.layers.6.bias"));
            return Reference.Linear(h, rows, 9, 5, p("head.fc.weight"), p("head.fc.bias"));
        });
    }

    [Fact]
    public void TinyCharModel_EmbeddingFlattenRmsNormResidualFeedForwardDropout()
    {
        var model = new TinyCharModel(seed: 4);
        const int rows = 3;
        var ids = RandomInts(rows * TinyCharModel.InputSize, 7, 5);
        var targets = RandomInts(rows, TinyCharModel.ClassCount, 6);
        Check(model, ids, targets, rows, (Func<string, double[]> p, ref Rng rng) =>
        {
            var h = Reference.Embedding(ids, p("token_embedding.weight"), 4);
            h = Reference.Linear(h, rows * 3, 4, 5, p("per_position.weight"), p("per_position.bias"));
            h = Reference.Gelu(h);
            h = Reference.RMSNorm(h, rows, 15, p("norm.weight"), 1e-8);
            var u = Reference.RMSNorm(h, rows, 15, p("block.fn.0.weight"), 1e-8);
            u = Reference.Linear(u, rows, 15, 8, p("block.fn.1.net.0.weight"), p("block.fn.1.net.0.bias"));
            u = Reference.Gelu(u);
            u = Reference.Linear(u, rows, 8, 15, p("block.fn.1.net.2.weight"), p("block.fn.1.net.2.bias"));
            h = Reference.Add(h, u);
            h = Reference.Dropout(h, 0.25, ref rng);
            return Reference.Linear(h, rows, 15, 7, p("head.fc.weight"), p("head.fc.bias"));
        });
    }

    [Fact]
    public void EveryLayer_NormOnInputXavierBiasFreeResidualsDropoutDepthOneMlp()
    {
        var model = new EveryLayer(seed: 7);
        const int rows = 5;
        var x = RandomFloats(rows * EveryLayer.InputSize, 8, scale: 2);
        var targets = RandomInts(rows, EveryLayer.ClassCount, 9);
        Check(model, x.Select(v => (float)v).ToArray(), targets, rows, (Func<string, double[]> p, ref Rng rng) =>
        {
            var h = Reference.LayerNorm(x, rows, 6, p("input_norm.weight"), p("input_norm.bias"), 1e-3);
            h = Reference.Linear(h, rows, 6, 8, p("proj.weight"), p("proj.bias"));
            var u = Reference.LayerNorm(h, rows, 8, p("ffn.fn.0.weight"), p("ffn.fn.0.bias"), 1e-5);
            u = Reference.Linear(u, rows, 8, 32, p("ffn.fn.1.net.0.weight"), p("ffn.fn.1.net.0.bias"));
            u = Reference.Gelu(u);
            u = Reference.Linear(u, rows, 32, 8, p("ffn.fn.1.net.2.weight"), p("ffn.fn.1.net.2.bias"));
            h = Reference.Add(h, u);
            u = Reference.Linear(h, rows, 8, 8, p("mixer.fn.0.weight"), null);
            u = Reference.Gelu(u);
            h = Reference.Add(h, u);
            h = Reference.Dropout(h, 0.5, ref rng);
            h = Reference.Linear(h, rows, 8, 6, p("out.layers.0.weight"), p("out.layers.0.bias"));
            return Reference.Linear(h, rows, 6, 3, p("head.fc.weight"), p("head.fc.bias"));
        });
    }

    [Fact]
    public void MnistClassifier_SampledGradients()
    {
        var model = new MnistClassifier(seed: 0);
        const int rows = 3;
        var x = RandomFloats(rows * 784, 10).Select(v => Math.Abs(v) / 3).Select(v => (double)(float)v).ToArray();
        var targets = RandomInts(rows, 10, 11);
        Check(model, x.Select(v => (float)v).ToArray(), targets, rows, (Func<string, double[]> p, ref Rng _) =>
        {
            var h = Reference.Linear(x, rows, 784, 256, p("body.layers.0.weight"), p("body.layers.0.bias"));
            h = Reference.Gelu(Reference.LayerNorm(h, rows, 256, p("body.layers.1.weight"), p("body.layers.1.bias"), 1e-5));
            h = Reference.Linear(h, rows, 256, 256, p("body.layers.3.weight"), p("body.layers.3.bias"));
            h = Reference.Gelu(Reference.LayerNorm(h, rows, 256, p("body.layers.4.weight"), p("body.layers.4.bias"), 1e-5));
            h = Reference.Linear(h, rows, 256, 256, p("body.layers.6.weight"), p("body.layers.6.bias"));
            return Reference.Linear(h, rows, 256, 10, p("head.fc.weight"), p("head.fc.bias"));
        }, perTensor: 12);
    }
}
