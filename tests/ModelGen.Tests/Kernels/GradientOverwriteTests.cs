using System;

namespace ModelGen.Tests.Kernels;

/// <summary>
/// <c>accumulate: false</c> (what TrainStep uses instead of zeroing the gradients first) writes every value of the
/// parameter gradient with the bits that adding into zeros gives, at every width, over shapes that take every path of
/// dW (batch and dot forms, whole 4-vector strips, single vectors, an overlapping last vector, with and without
/// skipZeroInputs, partial output tiles) and of the other parameter-gradient kernels. The destination starts full of
/// NaN, so a value left unwritten or added into shows.
/// </summary>
public sealed class GradientOverwriteTests
{
    private static readonly (int Rows, int In, int Out)[] s_shapes =
    [
        (64, 784, 256), (64, 256, 10), (5, 784, 33), (7, 100, 9), (17, 33, 65), (20, 130, 13), (3, 2, 3), (1, 17, 1), (16, 64, 6), (48, 64, 512), (16, 32, 256), (16, 32, 128),
    ];

    private static float[] NaNs(int n)
    {
        var values = new float[n];
        Array.Fill(values, float.NaN);
        return values;
    }

    private static void SameBits(float[] want, float[] got, string what)
    {
        for (int i = 0; i < want.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]),
                $"{what}: value {i} is {got[i]:R} written over, {want[i]:R} added into zeros");
        }
    }

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void WeightGradient(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            foreach (bool skip in new[] { false, true })
            {
                float[] x = SkipZeroInputsTests.SparseInput(rows, k, 4), dy = Reference.Normal(rows * n, 5);
                // A few products that are exactly −0, so a sum of them is −0 and must come out +0, as added into zeros.
                dy[0] = -0f;
                float[] added = new float[n * k], written = NaNs(n * k);
                ModelGen.Kernels.LinearBackwardWeight(added, dy, x, rows, k, n, skipZeroInputs: skip);
                ModelGen.Kernels.LinearBackwardWeight(written, dy, x, rows, k, n, skipZeroInputs: skip, accumulate: false);
                SameBits(added, written, $"dw {rows}×{k}×{n}{(skip ? ", skipping zeros," : "")} at width {width}");
            }
        }
    });

    // A sum whose exact value is below the smallest float rounds to −0 (here −1e-30 · 1e-20); added into zeros it
    // comes out +0, and so must it written over.
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void WeightGradientOfUnderflowingSumsIsPositiveZero(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            foreach (bool skip in new[] { false, true })
            {
                float[] x = new float[rows * k], dy = Reference.Normal(rows * n, 5);
                x.AsSpan(0, k).Fill(1e-20f);
                dy.AsSpan(0, n).Fill(-1e-30f);
                float[] written = NaNs(n * k);
                ModelGen.Kernels.LinearBackwardWeight(written, dy, x, rows, k, n, skipZeroInputs: skip, accumulate: false);
                Assert.All(written, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
            }
        }
    });

    [Fact]
    public void WeightGradientOfNoRowsIsZero()
    {
        float[] written = NaNs(6);
        ModelGen.Kernels.LinearBackwardWeight(written, [], [], 0, 3, 2, accumulate: false);
        Assert.All(written, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
    }

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BiasAndNormGradients(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, _, n) in s_shapes)
        {
            float[] dy = Reference.Normal(rows * n, 7), x = Reference.Normal(rows * n, 8), weight = Reference.Normal(n, 9);
            float[] added = new float[n], written = NaNs(n);
            ModelGen.Kernels.LinearBackwardBias(added, dy, rows, n);
            ModelGen.Kernels.LinearBackwardBias(written, dy, rows, n, accumulate: false);
            SameBits(added, written, $"dbias {rows}×{n} at width {width}");

            var (mean, rstd, y) = (new float[rows], new float[rows], new float[rows * n]);
            ModelGen.Kernels.LayerNormForward(y, mean, rstd, x, weight, new float[n], rows, n, 1e-5f);
            float[] dx = new float[rows * n], dwAdded = new float[n], dbAdded = new float[n], dwWritten = NaNs(n), dbWritten = NaNs(n);
            ModelGen.Kernels.LayerNormBackward(dx, dwAdded, dbAdded, dy, x, mean, rstd, weight, rows, n);
            ModelGen.Kernels.LayerNormBackward(dx, dwWritten, dbWritten, dy, x, mean, rstd, weight, rows, n, accumulate: false);
            SameBits(dwAdded, dwWritten, $"LayerNorm dweight {rows}×{n} at width {width}");
            SameBits(dbAdded, dbWritten, $"LayerNorm dbias {rows}×{n} at width {width}");

            var rrms = new float[rows];
            ModelGen.Kernels.RMSNormForward(y, rrms, x, weight, rows, n, 1e-6f);
            (dwAdded, dwWritten) = (new float[n], NaNs(n));
            ModelGen.Kernels.RMSNormBackward(dx, dwAdded, dy, x, rrms, weight, rows, n);
            ModelGen.Kernels.RMSNormBackward(dx, dwWritten, dy, x, rrms, weight, rows, n, accumulate: false);
            SameBits(dwAdded, dwWritten, $"RMSNorm dweight {rows}×{n} at width {width}");
        }
    });

    [Fact]
    public void EmbeddingGradientClearsTheRowsNotRead()
    {
        int[] ids = [3, 1, 3, 0];
        float[] dy = Reference.Normal(ids.Length * 5, 10);
        float[] added = new float[6 * 5], written = NaNs(6 * 5);
        ModelGen.Kernels.EmbeddingBackward(added, dy, ids, 6, 5);
        ModelGen.Kernels.EmbeddingBackward(written, dy, ids, 6, 5, accumulate: false);
        SameBits(added, written, "embedding");
    }
}
