using System;
using System.Linq;
using ModelGen.Tests.Models;

namespace ModelGen.Tests.Kernels;

/// <summary>
/// Every kernel against a naive double-precision reference, over many sizes with odd remainders, on both the
/// Vector512 path and the portable path. Tolerance: |got − want| ≤ 1e-5·(scale) where scale is the magnitude of the
/// terms summed (so long dot products are judged against their size, not their possibly cancelled result).
/// </summary>
[Collection(nameof(KernelPathCollection))]
public sealed class KernelTests
{
    public static TheoryData<bool> Paths() => new() { true, false };

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Rng((ulong)seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = scale * rng.NextNormal();
        return a;
    }

    private static void Close(double want, float got, double scale, double relative, string what)
        => Assert.True(Math.Abs(got - want) <= relative * Math.Max(1e-30, scale) + 1e-30, $"{what}: got {got}, want {want} (scale {scale})");

    private static readonly (int Rows, int In, int Out)[] s_shapes =
    [
        (1, 1, 1), (3, 5, 7), (4, 16, 4), (5, 17, 33), (17, 33, 65), (8, 31, 29), (64, 784, 256), (64, 256, 256), (63, 256, 10), (4, 48, 20), (9, 100, 3),
    ];

    private static void WithPath(bool vector512, Action test)
    {
        bool saved = ModelGen.Kernels.UseVector512;
        ModelGen.Kernels.UseVector512 = vector512 && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        try { test(); }
        finally { ModelGen.Kernels.UseVector512 = saved; }
    }

    [Theory, MemberData(nameof(Paths))]
    public void LinearProductsMatchNaive(bool vector512) => WithPath(vector512, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            var x = Random(rows * k, 1); var w = Random(n * k, 2); var b = Random(n, 3); var dy = Random(rows * n, 4);
            var y = new float[rows * n];
            ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n);
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < n; o++)
                {
                    double s = b[o], scale = Math.Abs(b[o]);
                    for (int i = 0; i < k; i++) { s += (double)x[r * k + i] * w[o * k + i]; scale += Math.Abs((double)x[r * k + i] * w[o * k + i]); }
                    Close(s, y[r * n + o], scale, 1e-5, $"y[{r},{o}] of {rows}x{k}x{n}");
                }

            var noBias = new float[rows * n];
            ModelGen.Kernels.LinearForward(noBias, x, w, default, rows, k, n);
            for (int i = 0; i < noBias.Length; i++) Close(y[i] - b[i % n], noBias[i], Math.Abs(y[i]) + Math.Abs(b[i % n]) + 1, 1e-5, "no bias");

            var dx = Random(rows * k, 5); // overwritten
            ModelGen.Kernels.LinearBackwardInput(dx, dy, w, rows, k, n);
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < k; i++)
                {
                    double s = 0, scale = 0;
                    for (int o = 0; o < n; o++) { s += (double)dy[r * n + o] * w[o * k + i]; scale += Math.Abs((double)dy[r * n + o] * w[o * k + i]); }
                    Close(s, dx[r * k + i], scale, 1e-5, $"dx[{r},{i}] of {rows}x{k}x{n}");
                }

            var dw0 = Random(n * k, 6);
            var dw = (float[])dw0.Clone(); // accumulated into
            ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n);
            for (int o = 0; o < n; o++)
                for (int i = 0; i < k; i++)
                {
                    double s = dw0[o * k + i], scale = Math.Abs(dw0[o * k + i]);
                    for (int r = 0; r < rows; r++) { s += (double)dy[r * n + o] * x[r * k + i]; scale += Math.Abs((double)dy[r * n + o] * x[r * k + i]); }
                    Close(s, dw[o * k + i], scale, 1e-5, $"dw[{o},{i}] of {rows}x{k}x{n}");
                }

            var db0 = Random(n, 7);
            var db = (float[])db0.Clone();
            ModelGen.Kernels.LinearBackwardBias(db, dy, rows, n);
            for (int o = 0; o < n; o++)
            {
                double s = db0[o], scale = Math.Abs(db0[o]);
                for (int r = 0; r < rows; r++) { s += dy[r * n + o]; scale += Math.Abs(dy[r * n + o]); }
                Close(s, db[o], scale, 1e-5, $"db[{o}]");
            }
        }
    });

    [Fact]
    public void LinearRejectsShortSpans()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearForward(new float[5], new float[8], new float[8], default, 2, 4, 3));
        Assert.Contains("y holds 5 values; this call needs 6", error.Message);
    }

    private static double GeluReference(double x) => x * Reference.NormalCdf(x);

    private static double GeluDerivativeReference(double x) => Reference.NormalCdf(x) + x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);

    [Theory, MemberData(nameof(Paths))]
    public void GeluIsTheExactErfForm(bool vector512) => WithPath(vector512, () =>
    {
        // Every length 0..70 and around the vector widths, values over [-12, 12] plus extremes.
        foreach (int n in Enumerable.Range(0, 71).Concat([127, 128, 129, 255, 256, 257]))
        {
            var x = Enumerable.Range(0, n).Select(i => n == 0 ? 0f : -12f + 24f * i / Math.Max(1, n - 1)).ToArray();
            var y = new float[n];
            ModelGen.Kernels.GeluForward(y, x);
            var dy = Random(n, 11);
            var dx = new float[n];
            ModelGen.Kernels.GeluBackward(dx, dy, x);
            for (int i = 0; i < n; i++)
            {
                double want = GeluReference(x[i]);
                // Relative to the result: 4 float ulps (≈ 4.8e-7), plus a floor far below float resolution of x.
                Assert.True(Math.Abs(y[i] - want) <= 4.8e-7 * Math.Abs(want) + 1e-30, $"gelu({x[i]}) = {y[i]}, want {want}");
                double wantGrad = dy[i] * GeluDerivativeReference(x[i]);
                Assert.True(Math.Abs(dx[i] - wantGrad) <= 1e-6 * Math.Abs(dy[i]) + 1e-6 * Math.Abs(wantGrad), $"gelu'({x[i]})");
            }
        }
        float[] extremes = [1e4f, -1e4f, 30f, -30f, 0f, -0f, 1e-30f, float.MaxValue, float.MinValue];
        var outputs = new float[extremes.Length];
        ModelGen.Kernels.GeluForward(outputs, extremes);
        Assert.All(outputs, v => Assert.False(float.IsNaN(v)));
        Assert.Equal(1e4f, outputs[0]);
        Assert.Equal(0f, outputs[1]);
        var grads = new float[extremes.Length];
        ModelGen.Kernels.GeluBackward(grads, Enumerable.Repeat(1f, extremes.Length).ToArray(), extremes);
        Assert.All(grads, v => Assert.False(float.IsNaN(v)));
    });

    private static double[] LayerNormRef(double[] x, int rows, int d, double[] w, double[] b, double eps)
        => Reference.LayerNorm(x, rows, d, w, b, eps);

    [Fact]
    public void LayerNormForwardAndBackward()
    {
        foreach (var (rows, d) in new[] { (1, 1), (3, 5), (4, 16), (7, 33), (64, 256), (2, 257) })
        {
            var x = Random(rows * d, 20, 3f).Select(v => v + 2f).ToArray(); // an offset mean, so centring matters
            var w = Random(d, 21); var b = Random(d, 22); var dy = Random(rows * d, 23);
            var y = new float[rows * d]; var mean = new float[rows]; var rstd = new float[rows];
            ModelGen.Kernels.LayerNormForward(y, mean, rstd, x, w, b, rows, d, 1e-5f);
            var want = LayerNormRef(D(x), rows, d, D(w), D(b), 1e-5);
            for (int i = 0; i < y.Length; i++) Close(want[i], y[i], Math.Abs(want[i]) + Math.Abs(b[i % d]) + 1e-3, 2e-5, $"layernorm y[{i}]");

            var dx = new float[rows * d]; var dw0 = Random(d, 24); var db0 = Random(d, 25);
            var dw = (float[])dw0.Clone(); var db = (float[])db0.Clone();
            ModelGen.Kernels.LayerNormBackward(dx, dw, db, dy, x, mean, rstd, w, rows, d);
            // Central differences of L = Σ dy·y(x, w, b), in double.
            double Loss(double[] xx, double[] ww, double[] bb) => Dot(D(dy), LayerNormRef(xx, rows, d, ww, bb, 1e-5));
            CheckGradient(D(x), v => Loss(v, D(w), D(b)), dx, 0, "layernorm dx");
            CheckGradient(D(w), v => Loss(D(x), v, D(b)), dw, dw0, "layernorm dweight");
            CheckGradient(D(b), v => Loss(D(x), D(w), v), db, db0, "layernorm dbias");
        }
    }

    [Fact]
    public void RMSNormForwardAndBackward()
    {
        foreach (var (rows, d) in new[] { (1, 1), (3, 5), (4, 16), (7, 33), (64, 256), (2, 257) })
        {
            var x = Random(rows * d, 30, 2f); var w = Random(d, 31); var dy = Random(rows * d, 32);
            var y = new float[rows * d]; var rrms = new float[rows];
            ModelGen.Kernels.RMSNormForward(y, rrms, x, w, rows, d, 1e-8f);
            var want = Reference.RMSNorm(D(x), rows, d, D(w), 1e-8);
            for (int i = 0; i < y.Length; i++) Close(want[i], y[i], Math.Abs(want[i]) + 1e-3, 2e-5, $"rmsnorm y[{i}]");

            var dx = new float[rows * d]; var dw0 = Random(d, 33); var dw = (float[])dw0.Clone();
            ModelGen.Kernels.RMSNormBackward(dx, dw, dy, x, rrms, w, rows, d);
            double Loss(double[] xx, double[] ww) => Dot(D(dy), Reference.RMSNorm(xx, rows, d, ww, 1e-8));
            CheckGradient(D(x), v => Loss(v, D(w)), dx, 0, "rmsnorm dx");
            CheckGradient(D(w), v => Loss(D(x), v), dw, dw0, "rmsnorm dweight");
        }
    }

    [Fact]
    public void CrossEntropyIsStableAndCorrect()
    {
        foreach (var (rows, c, scale) in new[] { (1, 1, 1f), (5, 10, 1f), (64, 10, 3f), (3, 7, 1e4f), (9, 33, 50f) })
        {
            var logits = Random(rows * c, 40, scale);
            var targets = Enumerable.Range(0, rows).Select(r => (r * 7) % c).ToArray();
            var probs = new float[rows * c];
            float loss = ModelGen.Kernels.CrossEntropyForward(probs, logits, targets, rows, c);
            double want = Reference.CrossEntropy(D(logits), targets, rows, c);
            Assert.False(float.IsNaN(loss) || float.IsInfinity(loss));
            Close(want, loss, Math.Abs(want) + 1, 1e-5, $"loss, logits scale {scale}");

            var dl = new float[rows * c];
            ModelGen.Kernels.CrossEntropyBackward(dl, probs, targets, rows, c);
            CheckGradient(D(logits), v => Reference.CrossEntropy(v, targets, rows, c), dl, 0, $"d logits, scale {scale}", h: scale > 100 ? 1e-2 : 1e-6);
        }
        // A known value: uniform logits over 4 classes give log 4.
        Assert.Equal(Math.Log(4), ModelGen.Kernels.CrossEntropyForward(new float[4], new float[4], [2], 1, 4), 6);
        // ±1e4 logits: the right class wins by 2e4, the loss is 0; the wrong class loses by 2e4.
        Assert.Equal(0f, ModelGen.Kernels.CrossEntropyForward(new float[2], [1e4f, -1e4f], [0], 1, 2));
        Assert.Equal(2e4f, ModelGen.Kernels.CrossEntropyForward(new float[2], [1e4f, -1e4f], [1], 1, 2));
    }

    [Fact]
    public void CrossEntropyRejectsTargetsOutOfRange()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.CrossEntropyForward(new float[20], new float[20], [3, 10], 2, 10));
        Assert.Contains("target 10 at row 1", error.Message);
        Assert.Contains("[0, 10)", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.CrossEntropyForward(new float[20], new float[20], [-1, 0], 2, 10));
    }

    [Fact]
    public void ArgMaxTakesTheFirstOfTies()
    {
        Assert.Equal(1, ModelGen.Kernels.ArgMax([0f, 3f, 3f, -1f]));
        Assert.Equal(0, ModelGen.Kernels.ArgMax([5f]));
    }

    [Fact]
    public void EmbeddingGatherAndScatterAdd()
    {
        var table = Random(7 * 3, 50);
        int[] ids = [4, 0, 4, 6];
        var y = new float[ids.Length * 3];
        ModelGen.Kernels.EmbeddingForward(y, ids, table, 7, 3);
        for (int i = 0; i < ids.Length; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(table[ids[i] * 3 + j], y[i * 3 + j]);

        var dy = Random(ids.Length * 3, 51);
        var dt0 = Random(7 * 3, 52);
        var dt = (float[])dt0.Clone();
        ModelGen.Kernels.EmbeddingBackward(dt, dy, ids, 7, 3);
        for (int row = 0; row < 7; row++)
            for (int j = 0; j < 3; j++)
            {
                double want = dt0[row * 3 + j];
                for (int i = 0; i < ids.Length; i++) if (ids[i] == row) want += dy[i * 3 + j];
                Assert.Equal(want, dt[row * 3 + j], 5);
            }
    }

    [Fact]
    public void EmbeddingIdOutsideTheVocabularyIsAClearErrorAndTouchesNothing()
    {
        var y = new float[6];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.EmbeddingForward(y, [1, 7], new float[21], 7, 3));
        Assert.Contains("token id 7 at position 1", error.Message);
        Assert.All(y, v => Assert.Equal(0f, v)); // checked before any row was copied
        var dt = new float[21];
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.EmbeddingBackward(dt, new float[6], [-3, 1], 7, 3));
        Assert.All(dt, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void DropoutMasksScaleAndReproduce()
    {
        const int n = 100_000;
        var x = Random(n, 60);
        var y = new float[n]; var mask = new float[n];
        var rng = new Rng(5);
        ModelGen.Kernels.DropoutForward(y, mask, x, 0.3f, ref rng);
        int kept = mask.Count(m => m != 0);
        Assert.InRange(kept / (double)n, 0.69, 0.71);
        Assert.All(mask, m => Assert.True(m == 0 || m == 1f / 0.7f));
        for (int i = 0; i < n; i++) Assert.Equal(x[i] * mask[i], y[i]);

        var again = new float[n]; var mask2 = new float[n];
        var rng2 = new Rng(5);
        ModelGen.Kernels.DropoutForward(again, mask2, x, 0.3f, ref rng2);
        Assert.Equal(y, again);
        Assert.Equal(rng, rng2);

        var dy = Random(n, 61); var dx = new float[n];
        ModelGen.Kernels.DropoutBackward(dx, dy, mask);
        for (int i = 0; i < n; i++) Assert.Equal(dy[i] * mask[i], dx[i]);

        var before = rng;
        ModelGen.Kernels.DropoutForward(y, mask, x, 0f, ref rng);
        Assert.Equal(x, y);
        Assert.All(mask, m => Assert.Equal(1f, m));
        Assert.Equal(before, rng); // p = 0 draws nothing
    }

    [Fact]
    public void KernelsAllocateNothingAfterTheFirstCall()
    {
        var x = Random(64 * 784, 70); var w = Random(256 * 784, 71); var b = Random(256, 72);
        var y = new float[64 * 256]; var dy = Random(64 * 256, 73); var dx = new float[64 * 784]; var dw = new float[256 * 784]; var db = new float[256];
        var mean = new float[64]; var rstd = new float[64]; var g = new float[64 * 256]; var ln = new float[64 * 256];
        var probs = new float[64 * 10]; var targets = new int[64]; var mask = new float[64 * 256]; var rng = new Rng(1); int[] ids = [1, 2, 3, 4];
        void All()
        {
            ModelGen.Kernels.LinearForward(y, x, w, b, 64, 784, 256);
            ModelGen.Kernels.LinearBackwardInput(dx, dy, w, 64, 784, 256);
            ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, 64, 784, 256);
            ModelGen.Kernels.LinearBackwardBias(db, dy, 64, 256);
            ModelGen.Kernels.GeluForward(g, y);
            ModelGen.Kernels.GeluBackward(g, dy, y);
            ModelGen.Kernels.LayerNormForward(ln, mean, rstd, y, b, b, 64, 256, 1e-5f);
            ModelGen.Kernels.LayerNormBackward(g, db, db, dy, y, mean, rstd, b, 64, 256);
            ModelGen.Kernels.RMSNormForward(ln, rstd, y, b, 64, 256, 1e-8f);
            ModelGen.Kernels.RMSNormBackward(g, db, dy, y, rstd, b, 64, 256);
            ModelGen.Kernels.CrossEntropyForward(probs, y.AsSpan(0, 640), targets, 64, 10);
            ModelGen.Kernels.CrossEntropyBackward(probs, probs, targets, 64, 10);
            ModelGen.Kernels.DropoutForward(g, mask, y, 0.1f, ref rng);
            ModelGen.Kernels.DropoutBackward(g, dy, mask);
            ModelGen.Kernels.EmbeddingForward(g.AsSpan(0, 256 * 4), ids, w, 784, 256);
            ModelGen.Kernels.EmbeddingBackward(dw, dy.AsSpan(0, 256 * 4), ids, 784, 256);
        }
        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static double[] D(float[] a) => a.Select(v => (double)v).ToArray();

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>got − before must equal the central difference of f at every coordinate (before: accumulation base).</summary>
    private static void CheckGradient(double[] at, Func<double[], double> f, float[] got, object before, string what, double h = 1e-6)
    {
        var baseValues = before as float[];
        for (int i = 0; i < at.Length; i++)
        {
            double saved = at[i];
            at[i] = saved + h; double plus = f(at);
            at[i] = saved - h; double minus = f(at);
            at[i] = saved;
            double fd = (plus - minus) / (2 * h);
            double g = got[i] - (baseValues?[i] ?? 0);
            Assert.True(Math.Abs(g - fd) <= 1e-4 + 1e-3 * Math.Abs(fd), $"{what}[{i}]: kernel {g}, finite difference {fd}");
        }
    }
}

/// <summary>Kernel tests switch a global path flag, so they do not run in parallel with each other.</summary>
[CollectionDefinition(nameof(KernelPathCollection), DisableParallelization = true)]
public sealed class KernelPathCollection;
