using System;

namespace ModelGen.Tests.Kernels;

/// <summary>After a first call with given sizes, no kernel or optimizer step allocates, at any width.</summary>
public sealed class AllocationTests
{
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void KernelsAndOptimizersAllocateNothingAfterTheFirstCall(int width) => Reference.AtWidth(width, () =>
    {
        const int rows = 64, k = 784, n = 256, classes = 10, dim = 256;
        float[] x = Reference.Normal(rows * k, 1), w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3);
        float[] y = new float[rows * n], dy = Reference.Normal(rows * n, 4), dx = new float[rows * k], dw = new float[n * k], db = new float[n];
        float[] act = Reference.Normal(rows * dim, 5), act2 = new float[rows * dim], mask = new float[rows * dim];
        double[] derivative = new double[rows * dim];
        float[] nw = Reference.Normal(dim, 6), nb = Reference.Normal(dim, 7), mean = new float[rows], rstd = new float[rows];
        float[] logits = Reference.Normal(rows * classes, 8), probs = new float[rows * classes];
        int[] targets = new int[rows], ids = new int[rows];
        for (int i = 0; i < rows; i++) (targets[i], ids[i]) = (i % classes, i % 50);
        float[] table = Reference.Normal(50 * dim, 9), dtable = new float[50 * dim];
        float[] parameters = Reference.Normal(100_003, 10), gradients = Reference.Normal(100_003, 11), state = new float[2 * 100_003];
        var adamW = new AdamW();
        var sgd = new Sgd(0.1f, momentum: 0.9f, weightDecay: 1e-4f, nesterov: true);
        var rng = new Rng(1);

        void Everything()
        {
            ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n);
            ModelGen.Kernels.LinearBackwardInput(dx, dy, w, rows, k, n);
            ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n);
            ModelGen.Kernels.LinearBackwardBias(db, dy, rows, n);
            ModelGen.Kernels.GeluForward(act2, act);
            ModelGen.Kernels.GeluBackward(act2, act, act);
            ModelGen.Kernels.GeluForward(act2, derivative, act);
            ModelGen.Kernels.GeluBackward(act2, act, derivative);
            ModelGen.Kernels.LayerNormForward(act2, mean, rstd, act, nw, nb, rows, dim, 1e-5f);
            ModelGen.Kernels.LayerNormBackward(act2, dw.AsSpan(0, dim), db.AsSpan(0, dim), act, act, mean, rstd, nw, rows, dim);
            ModelGen.Kernels.RMSNormForward(act2, rstd, act, nw, rows, dim, 1e-6f);
            ModelGen.Kernels.RMSNormBackward(act2, dw.AsSpan(0, dim), act, act, rstd, nw, rows, dim);
            ModelGen.Kernels.CrossEntropyForward(probs, logits, targets, rows, classes);
            ModelGen.Kernels.CrossEntropyBackward(logits, probs, targets, rows, classes);
            ModelGen.Kernels.ArgMax(logits.AsSpan(0, classes));
            ModelGen.Kernels.EmbeddingForward(act2, ids, table, 50, dim);
            ModelGen.Kernels.EmbeddingBackward(dtable, act, ids, 50, dim);
            ModelGen.Kernels.DropoutForward(act2, mask, act, 0.25f, ref rng);
            ModelGen.Kernels.DropoutBackward(act2, act, mask);
            adamW.Step(parameters, gradients, state);
            sgd.Step(parameters, gradients, state.AsSpan(0, parameters.Length));
        }

        Everything(); // first call: lazily grown scratch, JIT, statics
        Assert.Equal(0, SteadyState.AllocatedBytes(() =>
        {
            for (int i = 0; i < 3; i++) Everything();
        }));
    });
}
