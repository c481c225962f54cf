using System;
using System.Collections.Generic;

namespace ModelGen.Tests.Kernels;

/// <summary>Naive double-precision references and the helpers the kernel tests share.</summary>
internal static class Reference
{
    /// <summary>
    /// The widths every kernel test runs at: 0 is the widest the machine accelerates, then 256, 128 and 1 (scalar).
    /// On a machine without AVX-512 the first two coincide.
    /// </summary>
    public static TheoryData<int> Widths() => new() { 0, 256, 128, 1 };

    /// <summary>Runs <paramref name="test"/> with kernels limited to <paramref name="width"/> bits on this thread.</summary>
    public static void AtWidth(int width, Action test)
    {
        int saved = ModelGen.Widths.Limit;
        ModelGen.Widths.Limit = width;
        try { test(); }
        finally { ModelGen.Widths.Limit = saved; }
    }

    /// <summary>Element-wise lengths: every length up to 70 (all remainders at every width), then around 128 and 256.</summary>
    public static IEnumerable<int> Lengths()
    {
        for (int n = 0; n <= 70; n++) yield return n;
        foreach (int n in new[] { 127, 128, 129, 255, 256, 257 }) yield return n;
    }

    public static float[] Normal(int n, ulong seed, float scale = 1f, float mean = 0f)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = mean + scale * rng.NextNormal();
        return a;
    }

    public static float[] Uniform(int n, ulong seed, float low, float high)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = low + (high - low) * rng.NextFloat();
        return a;
    }

    /// <summary>The spacing of floats at <paramref name="value"/> (at least the smallest subnormal).</summary>
    /// <summary>
    /// Asserts that two results are bit-identical, except that a value that is zero in both may be +0 in one and −0 in
    /// the other (a sum of nothing but zeros). The message names what the two sides are.
    /// </summary>
    public static void SameBitsUpToZeroSign(float[] want, float[] got, string what, string gotSide, string wantSide)
    {
        for (int i = 0; i < want.Length; i++)
        {
            if (want[i] == 0 && got[i] == 0) continue;
            Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]),
                $"{what}: value {i} is {got[i]:R} {gotSide} and {want[i]:R} {wantSide}");
        }
    }

    public static double Ulp(double value)
    {
        float f = MathF.Abs((float)value);
        if (float.IsInfinity(f)) return double.PositiveInfinity;
        return MathF.BitIncrement(f) - f;
    }

    /// <summary>Asserts |got − want| ≤ tolerance, with a message that says where.</summary>
    public static void Near(double want, double got, double tolerance, string what)
    {
        if (double.IsNaN(want))
        {
            Assert.True(double.IsNaN(got), $"{what}: got {got}, want NaN");
            return;
        }
        if (double.IsInfinity(want))
        {
            Assert.True(want == got, $"{what}: got {got}, want {want}");
            return;
        }
        Assert.True(Math.Abs(got - want) <= tolerance, $"{what}: got {got:R}, want {want:R}, |error| {Math.Abs(got - want):E3} > {tolerance:E3}");
    }

    // ---- The standard normal distribution, accurate to about 1e-13 relative (checked against known values). ----

    /// <summary>Φ(x): Marsaglia's series (all terms positive) for |x| &lt; 3, Laplace's continued fraction beyond.</summary>
    public static double NormalCdf(double x)
    {
        double a = Math.Abs(x), tail;
        double pdf = Math.Exp(-0.5 * a * a) / Math.Sqrt(2 * Math.PI);
        if (a < 3)
        {
            double term = a, sum = a;
            for (int n = 1; term > 1e-17 * sum; n++)
            {
                term *= a * a / (2 * n + 1);
                sum += term;
            }
            tail = 0.5 - pdf * sum;
        }
        else
        {
            // Φ(−a) = φ(a) / (a + 1/(a + 2/(a + 3/(a + …)))), evaluated from a deep enough tail.
            double f = a;
            for (int n = 400; n > 0; n--) f = a + n / f;
            tail = pdf / f;
        }
        return x < 0 ? tail : 1 - tail;
    }

    public static double NormalPdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    public static double Gelu(double x) => x * NormalCdf(x);

    public static double GeluDerivative(double x) => NormalCdf(x) + x * NormalPdf(x);

    // ---- Layers, naive, in double. ----

    /// <summary>y(rows, n) = x(rows, k) · w(n, k)ᵀ + b, with the sum of |terms| of each output (its error scale).</summary>
    public static (double[] Y, double[] Scale) Linear(float[] x, float[] w, float[]? b, int rows, int k, int n)
    {
        var y = new double[rows * n];
        var scale = new double[rows * n];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < n; o++)
            {
                double s = b is null ? 0 : b[o], m = Math.Abs(s);
                for (int i = 0; i < k; i++)
                {
                    double term = (double)x[r * k + i] * w[o * k + i];
                    s += term;
                    m += Math.Abs(term);
                }
                y[r * n + o] = s;
                scale[r * n + o] = m;
            }
        return (y, scale);
    }

    public static double[] LayerNorm(double[] x, double[] w, double[] b, int rows, int dim, double eps, double[]? mean = null, double[]? rstd = null)
    {
        var y = new double[rows * dim];
        for (int r = 0; r < rows; r++)
        {
            double m = 0;
            for (int i = 0; i < dim; i++) m += x[r * dim + i];
            m /= dim;
            double v = 0;
            for (int i = 0; i < dim; i++) v += (x[r * dim + i] - m) * (x[r * dim + i] - m);
            v /= dim; // biased, as PyTorch
            double s = 1 / Math.Sqrt(v + eps);
            if (mean is not null) mean[r] = m;
            if (rstd is not null) rstd[r] = s;
            for (int i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i] - m) * s * w[i] + b[i];
        }
        return y;
    }

    public static double[] RmsNorm(double[] x, double[] w, int rows, int dim, double eps, double[]? rrms = null)
    {
        var y = new double[rows * dim];
        for (int r = 0; r < rows; r++)
        {
            double ms = 0;
            for (int i = 0; i < dim; i++) ms += x[r * dim + i] * x[r * dim + i];
            double s = 1 / Math.Sqrt(ms / dim + eps);
            if (rrms is not null) rrms[r] = s;
            for (int i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * s * w[i];
        }
        return y;
    }

    /// <summary>Mean cross-entropy of logits(rows, classes) against targets, by log-sum-exp in double.</summary>
    public static double CrossEntropy(double[] logits, int[] targets, int rows, int classes, double[]? probs = null)
    {
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[r * classes + c]);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(logits[r * classes + c] - max);
            double logSum = max + Math.Log(sum);
            total += logSum - logits[r * classes + targets[r]];
            if (probs is not null)
                for (int c = 0; c < classes; c++) probs[r * classes + c] = Math.Exp(logits[r * classes + c] - logSum);
        }
        return total / rows;
    }

    /// <summary>Σ a·b: the loss whose gradient with respect to a layer's output is <paramref name="b"/>.</summary>
    public static double Dot(double[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>The central difference of <paramref name="f"/> with respect to <c>values[i]</c>, in double.</summary>
    public static double CentralDifference(double[] values, int i, Func<double> f)
    {
        double saved = values[i];
        double h = 1e-6 * Math.Max(1, Math.Abs(saved));
        values[i] = saved + h;
        double up = f();
        values[i] = saved - h;
        double down = f();
        values[i] = saved;
        return (up - down) / (2 * h);
    }

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    public static double MaxAbs(double[] a)
    {
        double m = 0;
        foreach (double v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }
}
