using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen.Tests.Kernels;

/// <summary>
/// Exact GELU against x·Φ(x) from a double reference good to about 1e-13: within one ulp of the result (the kernel
/// rounds a double evaluation once), at every width and every length with odd remainders, including the far tails.
/// </summary>
public sealed class GeluTests
{
    [Theory]
    [InlineData(-1.0, 0.15865525393145705)]
    [InlineData(-5.0, 2.8665157187919391e-7)]
    [InlineData(-10.0, 7.6198530241605261e-24)]
    [InlineData(-13.0, 6.1171643995498797e-39)]
    [InlineData(-3.0, 0.0013498980316300945)]
    [InlineData(-0.5, 0.3085375387259869)]
    [InlineData(1.5, 0.93319279873114193)]
    public void TheReferenceCdfIsAccurate(double x, double phi)
        => Assert.True(Math.Abs(Reference.NormalCdf(x) - phi) <= 1e-12 * phi, $"Φ({x}) = {Reference.NormalCdf(x):R}, want {phi:R}");

    // Values from everywhere GELU is interesting: the core, both tails, and sizes where the result underflows.
    private static float[] Inputs(int n, ulong seed)
    {
        var a = new float[n];
        var rng = new Rng(seed);
        for (int i = 0; i < n; i++)
        {
            a[i] = (i % 4) switch
            {
                0 => 3f * rng.NextNormal(),
                1 => -15f + 21f * rng.NextFloat(),
                2 => rng.NextNormal() * 0.01f,
                _ => (rng.NextFloat() < 0.5f ? -1 : 1) * MathF.Exp(12f * rng.NextFloat() - 6f),
            };
        }
        return a;
    }

    private static double Tolerance(double want) => Math.Max(Reference.Ulp(want), float.Epsilon);

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void ForwardIsWithinOneUlpOfTheExactForm(int width) => Reference.AtWidth(width, () =>
    {
        foreach (int n in Reference.Lengths())
        {
            float[] x = Inputs(n, (ulong)n + 1);
            var y = new float[n + 1];
            y[n] = 42f;
            ModelGen.Kernels.GeluForward(y, x);
            for (int i = 0; i < n; i++)
            {
                double want = Reference.Gelu(x[i]);
                Reference.Near(want, y[i], Tolerance(want), $"gelu({x[i]:R}) at {i} of {n}");
            }
            Assert.Equal(42f, y[n]);
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void ForwardInPlace(int width) => Reference.AtWidth(width, () =>
    {
        foreach (int n in Reference.Lengths())
        {
            float[] x = Inputs(n, 99);
            var y = (float[])x.Clone();
            ModelGen.Kernels.GeluForward(y, y);
            for (int i = 0; i < n; i++) Reference.Near(Reference.Gelu(x[i]), y[i], Tolerance(Reference.Gelu(x[i])), $"in place, {i} of {n}");
        }
    });

    [Fact]
    public void DenseSweepOfTheWholeRangeStaysWithinOneUlp()
    {
        // Every 1/1024 from −16 to 8: the tail, the transition and the linear part.
        var x = Enumerable.Range(0, 24 * 1024 + 1).Select(i => -16f + i / 1024f).ToArray();
        var y = new float[x.Length];
        ModelGen.Kernels.GeluForward(y, x);
        for (int i = 0; i < x.Length; i++)
        {
            double want = Reference.Gelu(x[i]);
            Reference.Near(want, y[i], Tolerance(want), $"gelu({x[i]:R})");
        }
    }

    [Fact]
    public void LargeMagnitudesAndSpecialValues()
    {
        float[] x = [10f, -10f, 1e4f, -1e4f, 1e30f, -1e30f, float.PositiveInfinity, 0f, -0f, 1e-30f, -1e-30f, float.NaN, float.NegativeInfinity];
        var y = new float[x.Length];
        ModelGen.Kernels.GeluForward(y, x);
        Assert.Equal(10f, y[0]);
        Reference.Near(-10 * 7.6198530241605261e-24, y[1], Reference.Ulp(7.6e-23), "gelu(-10)");
        Assert.Equal(1e4f, y[2]);
        Assert.Equal(0f, MathF.Abs(y[3]));
        Assert.Equal(1e30f, y[4]);
        Assert.Equal(0f, MathF.Abs(y[5]));
        Assert.Equal(float.PositiveInfinity, y[6]);
        Assert.Equal(0f, y[7]);
        Assert.Equal(0f, y[8]);
        Assert.Equal(5e-31f, y[9]);
        Assert.Equal(-5e-31f, y[10]);
        Assert.True(float.IsNaN(y[11]));
        Assert.Equal(0f, MathF.Abs(y[12])); // the limit; PyTorch's formula gives −∞·0 = NaN

        var dx = new float[x.Length];
        ModelGen.Kernels.GeluBackward(dx, Enumerable.Repeat(1f, x.Length).ToArray(), x);
        Assert.Equal(1f, dx[0]);
        Assert.Equal(1f, dx[2]);
        Assert.Equal(0f, MathF.Abs(dx[3]));
        Assert.Equal(0f, MathF.Abs(dx[5]));
        Assert.Equal(1f, dx[6]);
        Assert.Equal(0.5f, dx[7]);
        Assert.True(float.IsNaN(dx[11]));
        Assert.Equal(0f, MathF.Abs(dx[12]));
    }

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BackwardIsDyTimesTheExactDerivative(int width) => Reference.AtWidth(width, () =>
    {
        foreach (int n in Reference.Lengths())
        {
            float[] x = Inputs(n, (ulong)n + 7), dy = Reference.Normal(n, (ulong)n + 8);
            var dx = Reference.Normal(n + 1, 3, 1e3f); // overwritten, except the sentinel after n
            float sentinel = dx[n];
            ModelGen.Kernels.GeluBackward(dx, dy, x);
            for (int i = 0; i < n; i++)
            {
                double cdf = Reference.NormalCdf(x[i]), xPdf = x[i] * Reference.NormalPdf(x[i]);
                double want = dy[i] * (cdf + xPdf);
                // Near the zero of gelu′ (x ≈ −0.75) the two terms cancel: judge by the size of the terms.
                double scale = Math.Abs(dy[i]) * (Math.Abs(cdf) + Math.Abs(xPdf));
                Reference.Near(want, dx[i], Math.Max(Reference.Ulp(scale), float.Epsilon), $"dx at x={x[i]:R}, {i} of {n}");
            }
            Assert.Equal(sentinel, dx[n]);
        }
    });

    [Fact]
    public void BackwardMatchesCentralDifferencesOfTheForward()
    {
        float[] x = Uniform(-8, 6, 400, 5);
        var dy = Enumerable.Repeat(1f, x.Length).ToArray();
        var dx = new float[x.Length];
        ModelGen.Kernels.GeluBackward(dx, dy, x);
        for (int i = 0; i < x.Length; i++)
        {
            double h = 1e-5 * Math.Max(1, Math.Abs(x[i]));
            double fd = (Reference.Gelu(x[i] + h) - Reference.Gelu(x[i] - h)) / (2 * h);
            Reference.Near(fd, dx[i], 1e-6 * (1 + Math.Abs(x[i])), $"gelu'({x[i]:R})");
        }
    }

    private static float[] Uniform(float low, float high, int n, ulong seed) => Reference.Uniform(n, seed, low, high);

    [Fact]
    public void LengthsAreChecked()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluForward(new float[2], new float[3])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluBackward(new float[2], new float[3], new float[3])).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluBackward(new float[3], new float[2], new float[3])).ParamName);
    }

    // The forward that saves gelu′ and the backward that reads it give the bits of the plain forward and backward,
    // special values included (NaN gives NaN; also repeated over 64 values, which the 512-bit forward takes two
    // vectors at a time), at every width, every length (chunked over threads beyond 2048) and with dx = dy.
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void SavedDerivativeGivesTheBitsOfThePlainKernels(int width) => Reference.AtWidth(width, () =>
    {
        float[] special = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, -float.MaxValue,
            float.Epsilon, -float.Epsilon, 1e-30f, -1e-30f, 16f, -16f, 37f, -37f, 38f, -38f, 1e30f, -1e30f];
        float[] specials = Enumerable.Range(0, 64).Select(i => special[i % special.Length]).ToArray();
        foreach (int n in Reference.Lengths().Concat([special.Length, 2047, 2048, 2049, 5000]))
        {
            float[] x = n == special.Length ? special : n == specials.Length ? specials : Inputs(n, (ulong)n + 5);
            float[] dy = Reference.Normal(n, (ulong)n + 6, 3f);
            var y = new float[n];
            var derivative = new double[n];
            var expectedY = new float[n];
            ModelGen.Kernels.GeluForward(y, derivative, x);
            ModelGen.Kernels.GeluForward(expectedY, x);
            Assert.Equal(Bits(expectedY), Bits(y));

            var dx = new float[n];
            var expectedDx = new float[n];
            ModelGen.Kernels.GeluBackward(dx, dy, derivative);
            ModelGen.Kernels.GeluBackward(expectedDx, dy, x);
            Assert.Equal(Bits(expectedDx), Bits(dx));

            float[] inPlace = (float[])dy.Clone();
            ModelGen.Kernels.GeluBackward(inPlace, inPlace, derivative);
            Assert.Equal(Bits(expectedDx), Bits(inPlace));
        }
    });

    // Every NaN counts as one value: which operand's NaN a product passes on (and so its sign) is the compiler's choice
    // of operand order, which differs between two code paths with the same operations.
    private static int[] Bits(float[] values) => values.Select(v => float.IsNaN(v) ? 0x7FC00000 : BitConverter.SingleToInt32Bits(v)).ToArray();

    [Fact]
    public void SavedDerivativeArgumentsAreChecked()
    {
        Assert.Equal("derivative", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluForward(new float[3], new double[2], new float[3])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluForward(new float[2], new double[3], new float[3])).ParamName);
        Assert.Equal("derivative", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluBackward(new float[3], new float[3], new double[2])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluBackward(new float[2], new float[3], new double[3])).ParamName);
        var shared = new float[8];
        var e = Assert.Throws<ArgumentException>(() => ModelGen.Kernels.GeluForward(shared, new double[8], shared));
        Assert.Equal("y", e.ParamName);
        Assert.Contains("must not overlap x", e.Message);
    }

    [Fact]
    public void EveryWidthGivesTheSameBits()
    {
        float[] x = Inputs(1000, 17);
        var results = new List<float[]>();
        foreach (int width in new[] { 0, 256, 128, 1 })
        {
            var y = new float[x.Length];
            Reference.AtWidth(width, () => ModelGen.Kernels.GeluForward(y, x));
            results.Add(y);
        }
        for (int w = 1; w < results.Count; w++) Assert.Equal(results[0], results[w]);
    }

    /// <summary>
    /// Around ±37, where the kernel clamps x (so that ±∞ gives the limits instead of ∞·0), at every width: the value
    /// is x or −0 there and the derivative 1 or 0, whether x is just inside the clamp or beyond it.
    /// </summary>
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void AroundTheClampTheLimitsHold(int width) => Reference.AtWidth(width, () =>
    {
        float[] x = [36.5f, 37f, 37.5f, 1e6f, float.PositiveInfinity, -36.5f, -37f, -37.5f, -1e6f, float.NegativeInfinity];
        var y = new float[x.Length];
        var derivative = new double[x.Length];
        var dx = new float[x.Length];
        ModelGen.Kernels.GeluForward(y, derivative, x);
        ModelGen.Kernels.GeluBackward(dx, Enumerable.Repeat(1f, x.Length).ToArray(), x);
        for (int i = 0; i < x.Length; i++)
        {
            bool positive = x[i] > 0;
            Assert.Equal(positive ? x[i] : 0f, positive ? y[i] : MathF.Abs(y[i]));
            Assert.Equal(positive ? 1.0 : 0.0, derivative[i], 1e-15);
            Assert.Equal(positive ? 1f : 0f, positive ? dx[i] : MathF.Abs(dx[i]));
        }
    });
}
