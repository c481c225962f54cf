using System;
using System.Linq;

namespace ModelGen.Tests.Optim;

/// <summary>PyTorch's default initialisations: bounds, moments and reproducibility.</summary>
public sealed class InitTests
{
    private const int N = 200_000;

    private static (double Mean, double Variance, float Min, float Max) Moments(float[] v)
    {
        double mean = v.Average(x => (double)x);
        double variance = v.Sum(x => (x - mean) * (x - mean)) / v.Length;
        return (mean, variance, v.Min(), v.Max());
    }

    private static void UniformLike(float[] v, double bound)
    {
        var (mean, variance, min, max) = Moments(v);
        Assert.InRange(min, -bound, bound);
        Assert.InRange(max, -bound, bound);
        Assert.True(min < -0.99 * bound && max > 0.99 * bound, "the whole interval is used");
        double sigma = bound / Math.Sqrt(3);
        Assert.InRange(mean, -5 * sigma / Math.Sqrt(N), 5 * sigma / Math.Sqrt(N));
        Assert.InRange(variance, bound * bound / 3 * 0.98, bound * bound / 3 * 1.02); // U(−b, b) has variance b²/3
    }

    [Theory]
    [InlineData(1)]
    [InlineData(784)]
    [InlineData(256)]
    public void KaimingUniformIsLinearsDefault(int fanIn)
    {
        var w = new float[N];
        var rng = new Rng(1);
        Init.KaimingUniform(w, fanIn, ref rng);
        UniformLike(w, 1 / Math.Sqrt(fanIn));
    }

    [Fact]
    public void XavierUniformAndUniform()
    {
        var w = new float[N];
        var rng = new Rng(2);
        Init.XavierUniform(w, 784, 256, ref rng);
        UniformLike(w, Math.Sqrt(6.0 / (784 + 256)));
        Init.Uniform(w, 0.25f, ref rng);
        UniformLike(w, 0.25);
    }

    [Fact]
    public void NormalHasMeanZeroAndVarianceOne()
    {
        var w = new float[N];
        var rng = new Rng(3);
        Init.Normal(w, ref rng);
        var (mean, variance, _, _) = Moments(w);
        Assert.InRange(mean, -5 / Math.Sqrt(N), 5 / Math.Sqrt(N));
        Assert.InRange(variance, 0.98, 1.02);
    }

    [Fact]
    public void FillAndReproducibility()
    {
        var w = new float[5];
        Init.Fill(w, 1f);
        Assert.All(w, v => Assert.Equal(1f, v));
        Init.Fill(w, 0f);
        Assert.All(w, v => Assert.Equal(0f, v));

        float[] a = new float[100], b = new float[100];
        var r1 = new Rng(9);
        var r2 = new Rng(9);
        Init.KaimingUniform(a, 10, ref r1);
        Init.KaimingUniform(b, 10, ref r2);
        Assert.Equal(a, b);
        Assert.Equal(r1, r2); // both generators advanced alike
        Init.KaimingUniform(b, 10, ref r2);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void BadFansAreRejected()
    {
        var rng = new Rng(1);
        Assert.Equal("fanIn", Assert.Throws<ArgumentOutOfRangeException>(() => Init.KaimingUniform(new float[1], 0, ref rng)).ParamName);
        Assert.Equal("fanOut", Assert.Throws<ArgumentOutOfRangeException>(() => Init.XavierUniform(new float[1], 3, 0, ref rng)).ParamName);
    }
}
