using System;

namespace ModelGen.Tests.Kernels;

/// <summary>
/// <c>skipZeroInputs</c> leaves the results of the forward and weight-gradient products exactly as they are without
/// it, at every width and over shapes that take every path (the batch product, the one-row dot products, the 4-row
/// dot tiles with leftover rows, full and partial column strips, and on 512-bit vectors the sparse forward with 0 to 3
/// rows left over from its 4-row tiles and the sparse dW), on inputs with zeros of every kind: features zero in
/// every row, rows zero across a block, a row zero everywhere, and scattered single zeros.
/// </summary>
public sealed class SkipZeroInputsTests
{
    private static readonly (int Rows, int In, int Out)[] s_shapes =
    [
        (64, 784, 256), (1, 784, 256), (5, 784, 33), (7, 100, 9), (17, 33, 65), (20, 130, 13), (64, 256, 10), (3, 2, 3),
        (130, 70, 7), (16, 64, 6), (1, 17, 1), (48, 64, 512), (16, 32, 256), (16, 32, 128),
        (33, 48, 64), (38, 32, 128), (35, 784, 192), (32, 16, 64),
    ];

    /// <summary>
    /// An image-like input: like an MNIST batch, a border of features that is zero in every row, then in each row a
    /// run of zeros that covers whole blocks of columns; one row is all zero; and a tenth of the rest are zero.
    /// </summary>
    internal static float[] SparseInput(int rows, int k, ulong seed)
    {
        float[] x = Reference.Normal(rows * k, seed);
        var rng = new Rng(seed + 100);
        int border = k / 5;
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = x.AsSpan(r * k, k);
            row[..border].Clear();
            row[^Math.Min(border, k / 2)..].Clear();
            int start = rng.NextInt(k), length = rng.NextInt(k / 2 + 1);
            row.Slice(start, Math.Min(length, k - start)).Clear();
            for (int i = 0; i < k; i++)
            {
                if (rng.NextInt(10) == 0) row[i] = 0;
            }
        }
        if (rows > 2) x.AsSpan(2 * k, k).Clear();
        return x;
    }

    private static void SameBits(float[] want, float[] got, string what) => Reference.SameBitsUpToZeroSign(want, got, what, "with skipZeroInputs", "without");

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void ForwardIsUnchanged(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] x = SparseInput(rows, k, 1), w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3);
            float[] dense = new float[rows * n], skipping = new float[rows * n];
            ModelGen.Kernels.LinearForward(dense, x, w, b, rows, k, n);
            ModelGen.Kernels.LinearForward(skipping, x, w, b, rows, k, n, skipZeroInputs: true);
            SameBits(dense, skipping, $"forward {rows}×{k}×{n} at width {width}");

            ModelGen.Kernels.LinearForward(dense, x, w, default, rows, k, n);
            ModelGen.Kernels.LinearForward(skipping, x, w, default, rows, k, n, skipZeroInputs: true);
            SameBits(dense, skipping, $"forward {rows}×{k}×{n} without bias at width {width}");
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void WeightGradientIsUnchanged(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] x = SparseInput(rows, k, 4), dy = Reference.Normal(rows * n, 5);
            float[] dense = Reference.Normal(n * k, 6), skipping = (float[])dense.Clone(); // both accumulate into the same values
            ModelGen.Kernels.LinearBackwardWeight(dense, dy, x, rows, k, n);
            ModelGen.Kernels.LinearBackwardWeight(skipping, dy, x, rows, k, n, skipZeroInputs: true);
            SameBits(dense, skipping, $"dw {rows}×{k}×{n} at width {width}");
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void AllZeroInputGivesTheBiasAndAddsNothing(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] x = new float[rows * k], w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3), dy = Reference.Normal(rows * n, 5);
            var y = new float[rows * n];
            ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n, skipZeroInputs: true);
            for (int i = 0; i < y.Length; i++) Assert.Equal(b[i % n], y[i]);

            float[] before = Reference.Normal(n * k, 6), dw = (float[])before.Clone();
            ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n, skipZeroInputs: true);
            Assert.Equal(before, dw);
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void NaNAndNegativeZeroInputsAreNotSkipped(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            // The only nonzero input is a NaN in the last row's last feature: it must reach that row's every output.
            float[] x = new float[rows * k], w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3);
            x[^1] = float.NaN;
            var y = new float[rows * n];
            ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n, skipZeroInputs: true);
            for (int o = 0; o < n; o++) Assert.True(float.IsNaN(y[(rows - 1) * n + o]), $"output {o} of {rows}×{k}×{n}");

            // −0 has a bit set, so it is treated as a value: a weight of +∞ facing it gives NaN, as without skipping.
            x[^1] = -0f;
            w[(n - 1) * k + k - 1] = float.PositiveInfinity;
            ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n, skipZeroInputs: true);
            Assert.True(float.IsNaN(y[rows * n - 1]), $"the last output of {rows}×{k}×{n}");
        }
    });
}
