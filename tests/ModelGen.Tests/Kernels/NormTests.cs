using System;
using System.Linq;

namespace ModelGen.Tests.Kernels;

/// <summary>
/// LayerNorm and RMSNorm against naive double forwards (biased variance, eps inside the square root), and their
/// backwards against central differences of those double forwards.
/// </summary>
public sealed class NormTests
{
    private const int Rows = 3;

    [Fact]
    public void LayerNormForwardMatchesNaive()
    {
        foreach (int dim in Reference.Lengths().Where(d => d > 0))
        {
            float[] x = Reference.Normal(Rows * dim, (ulong)dim, 1.5f, 0.5f), w = Reference.Normal(dim, 2, 1f, 1f), b = Reference.Normal(dim, 3);
            var y = new float[Rows * dim];
            var mean = new float[Rows];
            var rstd = new float[Rows];
            ModelGen.Kernels.LayerNormForward(y, mean, rstd, x, w, b, Rows, dim, 1e-5f);
            double[] wantMean = new double[Rows], wantRstd = new double[Rows];
            var want = Reference.LayerNorm(Reference.ToDouble(x), Reference.ToDouble(w), Reference.ToDouble(b), Rows, dim, 1e-5, wantMean, wantRstd);
            for (int r = 0; r < Rows; r++)
            {
                Reference.Near(wantMean[r], mean[r], 1e-5 * (Math.Abs(wantMean[r]) + 1.5), $"mean[{r}] at dim {dim}");
                Reference.Near(wantRstd[r], rstd[r], 1e-5 * wantRstd[r], $"rstd[{r}] at dim {dim}");
            }
            for (int i = 0; i < y.Length; i++)
            {
                double xhat = (x[i] - wantMean[i / dim]) * wantRstd[i / dim];
                double scale = Math.Abs(w[i % dim]) * (Math.Abs(xhat) + 1) + Math.Abs(b[i % dim]);
                Reference.Near(want[i], y[i], 2e-5 * scale, $"y[{i}] at dim {dim}");
            }
        }
    }

    [Fact]
    public void LayerNormUsesTheBiasedVarianceWithEpsInsideTheRoot()
    {
        // x = (1, 3): mean 2, biased variance 1 (the unbiased one would be 2), so x̂ = (∓1)/√(1 + eps).
        var y = new float[2];
        var mean = new float[1];
        var rstd = new float[1];
        ModelGen.Kernels.LayerNormForward(y, mean, rstd, new float[] { 1, 3 }, new float[] { 1, 1 }, new float[] { 0, 0 }, 1, 2, 0.25f);
        Assert.Equal(2f, mean[0]);
        Assert.Equal((float)(1 / Math.Sqrt(1.25)), rstd[0], 6);
        Assert.Equal((float)(-1 / Math.Sqrt(1.25)), y[0], 6);
        Assert.Equal((float)(1 / Math.Sqrt(1.25)), y[1], 6);

        // A constant row has variance 0: rstd = 1/√eps and y = bias.
        ModelGen.Kernels.LayerNormForward(y, mean, rstd, new float[] { 5, 5 }, new float[] { 2, 2 }, new float[] { 0.5f, -0.5f }, 1, 2, 1e-4f);
        Assert.Equal(100f, rstd[0], 3);
        Assert.Equal(new float[] { 0.5f, -0.5f }, y);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(100)]
    public void LayerNormBackwardMatchesCentralDifferences(int dim)
    {
        const double eps = 1e-5;
        float[] xf = Reference.Normal(Rows * dim, 11, 1.2f, 0.3f), wf = Reference.Normal(dim, 12, 0.5f, 1f), bf = Reference.Normal(dim, 13);
        float[] dy = Reference.Normal(Rows * dim, 14);
        var y = new float[Rows * dim];
        var mean = new float[Rows];
        var rstd = new float[Rows];
        ModelGen.Kernels.LayerNormForward(y, mean, rstd, xf, wf, bf, Rows, dim, (float)eps);

        var dx = Reference.Normal(Rows * dim, 15, 100f); // overwritten
        float[] dwBefore = Reference.Normal(dim, 16), dbBefore = Reference.Normal(dim, 17);
        float[] dw = (float[])dwBefore.Clone(), db = (float[])dbBefore.Clone(); // accumulated
        ModelGen.Kernels.LayerNormBackward(dx, dw, db, dy, xf, mean, rstd, wf, Rows, dim);

        double[] x = Reference.ToDouble(xf), w = Reference.ToDouble(wf), b = Reference.ToDouble(bf);
        double Loss() => Reference.Dot(Reference.LayerNorm(x, w, b, Rows, dim, eps), dy);
        var fdx = Enumerable.Range(0, x.Length).Select(i => Reference.CentralDifference(x, i, Loss)).ToArray();
        var fdw = Enumerable.Range(0, dim).Select(i => Reference.CentralDifference(w, i, Loss)).ToArray();
        var fdb = Enumerable.Range(0, dim).Select(i => Reference.CentralDifference(b, i, Loss)).ToArray();
        double sw = Reference.MaxAbs(fdw) + 1e-3, sb = Reference.MaxAbs(fdb) + 1e-3;
        for (int i = 0; i < x.Length; i++)
        {
            // dx is a difference of terms of size |dy·w|·rstd that cancel almost exactly for tiny rows: judge by those.
            double terms = Math.Abs(dy[i] * wf[i % dim]) * rstd[i / dim] + Math.Abs(fdx[i]);
            Reference.Near(fdx[i], dx[i], 1e-5 * terms + 1e-4 * Math.Abs(fdx[i]), $"dx[{i}] at dim {dim}");
        }
        for (int i = 0; i < dim; i++)
        {
            Reference.Near(dwBefore[i] + fdw[i], dw[i], 1e-4 * (sw + Math.Abs(dwBefore[i])), $"dweight[{i}] at dim {dim}");
            Reference.Near(dbBefore[i] + fdb[i], db[i], 1e-4 * (sb + Math.Abs(dbBefore[i])), $"dbias[{i}] at dim {dim}");
        }
    }

    [Fact]
    public void RmsNormForwardMatchesNaive()
    {
        foreach (int dim in Reference.Lengths().Where(d => d > 0))
        {
            float[] x = Reference.Normal(Rows * dim, (ulong)dim + 5, 1.5f, 0.5f), w = Reference.Normal(dim, 2, 1f, 1f);
            var y = new float[Rows * dim];
            var rrms = new float[Rows];
            ModelGen.Kernels.RMSNormForward(y, rrms, x, w, Rows, dim, 1e-6f);
            var wantRrms = new double[Rows];
            var want = Reference.RmsNorm(Reference.ToDouble(x), Reference.ToDouble(w), Rows, dim, 1e-6, wantRrms);
            for (int r = 0; r < Rows; r++) Reference.Near(wantRrms[r], rrms[r], 1e-5 * wantRrms[r], $"rrms[{r}] at dim {dim}");
            for (int i = 0; i < y.Length; i++)
                Reference.Near(want[i], y[i], 1e-5 * Math.Abs(x[i] * wantRrms[i / dim] * w[i % dim]) + 1e-30, $"y[{i}] at dim {dim}");
        }

        // rrms = 1/√(mean(x²) + eps): x = (3, 4) has mean square 12.5.
        var one = new float[2];
        var r1 = new float[1];
        ModelGen.Kernels.RMSNormForward(one, r1, new float[] { 3, 4 }, new float[] { 1, 2 }, 1, 2, 0.5f);
        Assert.Equal((float)(1 / Math.Sqrt(13)), r1[0], 6);
        Assert.Equal((float)(3 / Math.Sqrt(13)), one[0], 6);
        Assert.Equal((float)(8 / Math.Sqrt(13)), one[1], 6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(100)]
    public void RmsNormBackwardMatchesCentralDifferences(int dim)
    {
        const double eps = 1e-6;
        float[] xf = Reference.Normal(Rows * dim, 21, 1.2f, 0.3f), wf = Reference.Normal(dim, 22, 0.5f, 1f), dy = Reference.Normal(Rows * dim, 24);
        var y = new float[Rows * dim];
        var rrms = new float[Rows];
        ModelGen.Kernels.RMSNormForward(y, rrms, xf, wf, Rows, dim, (float)eps);

        var dx = Reference.Normal(Rows * dim, 25, 100f);
        float[] dwBefore = Reference.Normal(dim, 26), dw = (float[])dwBefore.Clone();
        ModelGen.Kernels.RMSNormBackward(dx, dw, dy, xf, rrms, wf, Rows, dim);

        double[] x = Reference.ToDouble(xf), w = Reference.ToDouble(wf);
        double Loss() => Reference.Dot(Reference.RmsNorm(x, w, Rows, dim, eps), dy);
        var fdx = Enumerable.Range(0, x.Length).Select(i => Reference.CentralDifference(x, i, Loss)).ToArray();
        var fdw = Enumerable.Range(0, dim).Select(i => Reference.CentralDifference(w, i, Loss)).ToArray();
        double sw = Reference.MaxAbs(fdw) + 1e-3;
        for (int i = 0; i < x.Length; i++)
        {
            double terms = Math.Abs(dy[i] * wf[i % dim]) * rrms[i / dim] + Math.Abs(fdx[i]);
            Reference.Near(fdx[i], dx[i], 1e-5 * terms + 1e-4 * Math.Abs(fdx[i]), $"dx[{i}] at dim {dim}");
        }
        for (int i = 0; i < dim; i++) Reference.Near(dwBefore[i] + fdw[i], dw[i], 1e-4 * (sw + Math.Abs(dwBefore[i])), $"dweight[{i}] at dim {dim}");
    }

    [Fact]
    public void ShortSpansAreRejectedByName()
    {
        float[] x = new float[6], w = new float[3], y = new float[6], s = new float[2];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LayerNormForward(y.AsSpan(0, 5), s, s, x, w, w, 2, 3, 1e-5f)).ParamName);
        Assert.Equal("rstd", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LayerNormForward(y, s, s.AsSpan(0, 1), x, w, w, 2, 3, 1e-5f)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.RMSNormForward(y, s, x, w.AsSpan(0, 2), 2, 3, 1e-5f)).ParamName);
        Assert.Equal("dweight", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.RMSNormBackward(y, w.AsSpan(0, 2), y, x, s, w, 2, 3)).ParamName);
    }
}
