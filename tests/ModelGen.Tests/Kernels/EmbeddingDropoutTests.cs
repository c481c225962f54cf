using System;
using System.Linq;

namespace ModelGen.Tests.Kernels;

/// <summary>Embedding gather / scatter-add with its id checks, and Dropout's masks, scaling and determinism.</summary>
public sealed class EmbeddingDropoutTests
{
    [Fact]
    public void EmbeddingGathersRowsAndScatterAddsGradients()
    {
        foreach (int dim in new[] { 1, 3, 16, 17, 64 })
        {
            const int numEmbeddings = 11;
            int[] ids = [3, 0, 10, 3, 7, 3];
            float[] table = Reference.Normal(numEmbeddings * dim, (ulong)dim);
            var y = new float[ids.Length * dim];
            ModelGen.Kernels.EmbeddingForward(y, ids, table, numEmbeddings, dim);
            for (int i = 0; i < ids.Length; i++)
                for (int j = 0; j < dim; j++) Assert.Equal(table[ids[i] * dim + j], y[i * dim + j]);

            float[] dy = Reference.Normal(ids.Length * dim, 7), before = Reference.Normal(numEmbeddings * dim, 8);
            var dtable = (float[])before.Clone();
            ModelGen.Kernels.EmbeddingBackward(dtable, dy, ids, numEmbeddings, dim);
            for (int e = 0; e < numEmbeddings; e++)
                for (int j = 0; j < dim; j++)
                {
                    double want = before[e * dim + j];
                    for (int i = 0; i < ids.Length; i++)
                        if (ids[i] == e) want += dy[i * dim + j]; // id 3 appears three times: its gradients add up
                    Reference.Near(want, dtable[e * dim + j], 1e-6 * (Math.Abs(want) + 1), $"dtable[{e},{j}] at dim {dim}");
                }
        }
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(5, 1)]
    [InlineData(int.MaxValue, 0)]
    public void AnIdOutsideTheTableIsAClearErrorAndNothingIsWritten(int badId, int position)
    {
        var ids = new[] { 1, 2, 3 };
        ids[position] = badId;
        float[] table = Reference.Normal(10, 1);
        var y = Enumerable.Repeat(9f, 6).ToArray();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.EmbeddingForward(y, ids, table, 5, 2));
        Assert.Contains($"id {badId}", error.Message);
        Assert.Contains($"position {position}", error.Message);
        Assert.Contains("5", error.Message);
        Assert.All(y, v => Assert.Equal(9f, v));

        var dtable = Enumerable.Repeat(9f, 10).ToArray();
        error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.EmbeddingBackward(dtable, new float[6], ids, 5, 2));
        Assert.Contains($"id {badId}", error.Message);
        Assert.Contains($"position {position}", error.Message);
        Assert.All(dtable, v => Assert.Equal(9f, v));
    }

    [Fact]
    public void DropoutWithPZeroIsTheIdentity()
    {
        foreach (int n in Reference.Lengths())
        {
            float[] x = Reference.Normal(n, (ulong)n);
            var y = new float[n];
            var mask = new float[n];
            var rng = new Rng(5);
            ModelGen.Kernels.DropoutForward(y, mask, x, 0f, ref rng);
            Assert.Equal(x, y);
            Assert.All(mask, m => Assert.Equal(1f, m));
        }
    }

    [Fact]
    public void DropoutKeepsWhenTheDrawIsAtLeastPAndScalesByOneOverOneMinusP()
    {
        foreach (float p in new[] { 0.1f, 0.5f, 0.9f })
        {
            const int n = 100_000;
            float[] x = Reference.Normal(n, 3);
            var y = new float[n];
            var mask = new float[n];
            var rng = new Rng(42);
            var copy = rng;
            ModelGen.Kernels.DropoutForward(y, mask, x, p, ref rng);

            float scale = 1f / (1f - p);
            int kept = 0;
            for (int i = 0; i < n; i++)
            {
                float expected = copy.NextFloat() >= p ? scale : 0f; // one draw per element, in order
                Assert.Equal(expected, mask[i]);
                Assert.Equal(x[i] * mask[i], y[i]);
                if (mask[i] != 0) kept++;
            }
            Assert.Equal(copy, rng); // the generator advanced by exactly n draws
            double sigma = Math.Sqrt(p * (1 - p) / n);
            Assert.InRange(kept / (double)n, 1 - p - 5 * sigma, 1 - p + 5 * sigma);
        }
    }

    [Fact]
    public void DropoutMasksAreDeterministicForTheSameGenerator()
    {
        float[] x = Reference.Normal(1000, 1);
        float[] m1 = new float[1000], m2 = new float[1000], m3 = new float[1000], y = new float[1000];
        var a = new Rng(7);
        var b = new Rng(7);
        var c = new Rng(8);
        ModelGen.Kernels.DropoutForward(y, m1, x, 0.3f, ref a);
        ModelGen.Kernels.DropoutForward(y, m2, x, 0.3f, ref b);
        ModelGen.Kernels.DropoutForward(y, m3, x, 0.3f, ref c);
        Assert.Equal(m1, m2);
        Assert.NotEqual(m1, m3);
        ModelGen.Kernels.DropoutForward(y, m3, x, 0.3f, ref a); // the next call continues the stream
        Assert.NotEqual(m1, m3);
    }

    [Fact]
    public void DropoutBackwardMultipliesByTheMask()
    {
        foreach (int n in Reference.Lengths())
        {
            float[] dy = Reference.Normal(n, 1), mask = Reference.Uniform(n, 2, 0, 2);
            var dx = Reference.Normal(n, 3, 100f);
            ModelGen.Kernels.DropoutBackward(dx, dy, mask);
            for (int i = 0; i < n; i++) Assert.Equal(dy[i] * mask[i], dx[i]);
        }
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void DropoutRejectsPOutsideZeroToOne(float p)
    {
        var rng = new Rng(1);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.DropoutForward(new float[2], new float[2], new float[2], p, ref rng)).ParamName);
    }
}
