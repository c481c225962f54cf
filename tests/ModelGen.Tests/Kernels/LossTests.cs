using System;
using System.Linq;

namespace ModelGen.Tests.Kernels;

/// <summary>Cross-entropy (forward, softmax, backward) against a double log-sum-exp, and ArgMax's PyTorch semantics.</summary>
public sealed class LossTests
{
    private static readonly (int Rows, int Classes)[] s_shapes = [(1, 1), (1, 2), (3, 10), (7, 33), (64, 10), (5, 257), (2, 16), (4, 17)];

    private static int[] Targets(int rows, int classes, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, rows).Select(_ => rng.NextInt(classes)).ToArray();
    }

    [Fact]
    public void ForwardMatchesLogSumExpInDoubleAndWritesTheSoftmax()
    {
        foreach (var (rows, classes) in s_shapes)
        {
            float[] logits = Reference.Normal(rows * classes, (ulong)(rows * classes), 3f);
            int[] targets = Targets(rows, classes, 5);
            var probs = new float[rows * classes];
            float loss = ModelGen.Kernels.CrossEntropyForward(probs, logits, targets, rows, classes);
            var wantProbs = new double[rows * classes];
            double want = Reference.CrossEntropy(Reference.ToDouble(logits), targets, rows, classes, wantProbs);
            Reference.Near(want, loss, 1e-6 * (Math.Abs(want) + 1), $"loss of {rows}×{classes}");
            for (int i = 0; i < probs.Length; i++) Reference.Near(wantProbs[i], probs[i], 1e-5 * wantProbs[i] + 1e-12, $"probs[{i}] of {rows}×{classes}");
        }
    }

    [Fact]
    public void ForwardIsStableForHugeLogits()
    {
        // Row 0: the target wins by 2e4 (loss 0); row 1: the target loses by 2e4 (loss 2e4); row 2: a tie at 1e4 (ln 2).
        float[] logits = [1e4f, -1e4f, 0f, 1e4f, -1e4f, 0f, 1e4f, 1e4f, -1e4f];
        var probs = new float[9];
        float loss = ModelGen.Kernels.CrossEntropyForward(probs, logits, new[] { 0, 1, 1 }, 3, 3);
        Reference.Near((0 + 2e4 + Math.Log(2)) / 3, loss, 1e-3, "loss with ±1e4 logits");
        Assert.Equal(new float[] { 1, 0, 0, 1, 0, 0, 0.5f, 0.5f, 0 }, probs);
        Assert.Equal(0f, ModelGen.Kernels.CrossEntropyForward(probs, logits, new[] { 0 }, 1, 3));
        Assert.True(float.IsFinite(ModelGen.Kernels.CrossEntropyForward(probs, new float[] { -1e4f, -1e4f, -1e4f }, new[] { 2 }, 1, 3)));
        Reference.Near(Math.Log(3), ModelGen.Kernels.CrossEntropyForward(probs, new float[] { -1e4f, -1e4f, -1e4f }, new[] { 2 }, 1, 3), 1e-6, "three-way tie at −1e4");
    }

    [Fact]
    public void BackwardIsSoftmaxMinusOneHotOverRowsAndMatchesCentralDifferences()
    {
        foreach (var (rows, classes) in s_shapes)
        {
            float[] logits = Reference.Normal(rows * classes, 40 + (ulong)rows, 2f);
            int[] targets = Targets(rows, classes, 41);
            var probs = new float[rows * classes];
            ModelGen.Kernels.CrossEntropyForward(probs, logits, targets, rows, classes);
            var dlogits = Reference.Normal(rows * classes, 42, 100f); // overwritten
            ModelGen.Kernels.CrossEntropyBackward(dlogits, probs, targets, rows, classes);

            double[] x = Reference.ToDouble(logits);
            double Loss() => Reference.CrossEntropy(x, targets, rows, classes);
            for (int i = 0; i < x.Length; i++)
            {
                double analytic = (probs[i] - (targets[i / classes] == i % classes ? 1 : 0)) / (double)rows;
                Reference.Near(analytic, dlogits[i], 2e-7 / rows, $"dlogits[{i}] of {rows}×{classes}");
                Reference.Near(Reference.CentralDifference(x, i, Loss), dlogits[i], 1e-5 / rows, $"dlogits[{i}] vs central difference, {rows}×{classes}");
            }
        }
    }

    [Fact]
    public void TargetsOutsideTheClassesAreRejectedBeforeAnythingIsWritten()
    {
        var probs = Enumerable.Repeat(9f, 6).ToArray();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.CrossEntropyForward(probs, new float[6], new[] { 0, 3 }, 2, 3));
        Assert.Contains("target 3", error.Message);
        Assert.Contains("row 1", error.Message);
        Assert.Contains("[0, 3)", error.Message);
        Assert.All(probs, p => Assert.Equal(9f, p));

        error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.CrossEntropyBackward(probs, new float[6], new[] { -1, 0 }, 2, 3));
        Assert.Contains("target -1", error.Message);
        Assert.Contains("row 0", error.Message);
        Assert.All(probs, p => Assert.Equal(9f, p));
    }

    [Fact]
    public void ArgMaxFollowsTorchArgmax()
    {
        Assert.Equal(0, ModelGen.Kernels.ArgMax(new float[] { 5 }));
        Assert.Equal(1, ModelGen.Kernels.ArgMax(new float[] { 1, 3, 3, 2 })); // first of ties
        Assert.Equal(0, ModelGen.Kernels.ArgMax(new float[] { -0f, 0f })); // −0 ties with +0
        Assert.Equal(1, ModelGen.Kernels.ArgMax(new float[] { 1, float.NaN, 3, float.NaN })); // NaN is the largest
        Assert.Equal(2, ModelGen.Kernels.ArgMax(new float[] { float.NegativeInfinity, -1e30f, -1e29f }));
        foreach (int n in Reference.Lengths().Where(n => n > 0))
        {
            float[] v = Reference.Normal(n, (ulong)n);
            for (int at = 0; at < n; at += Math.Max(1, n / 7))
            {
                var w = (float[])v.Clone();
                w[at] = 100f;
                if (at + 1 < n) w[n - 1] = 100f; // a later tie never wins
                Assert.Equal(at, ModelGen.Kernels.ArgMax(w));
            }
        }
        Assert.Throws<ArgumentException>(() => ModelGen.Kernels.ArgMax(ReadOnlySpan<float>.Empty));
    }
}
