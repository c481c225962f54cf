using System;

namespace ModelGen.Tests.Kernels;

/// <summary>
/// The products of a Linear whose weight is stored transposed (the layout of a layer that reads the model's input)
/// against the naive reference, and bit for bit against the products of the weight as PyTorch stores it: the forward
/// for every batch of at least 16 rows, the weight gradient (transposed) always, with and without skipZeroInputs, at
/// every width, over shapes that take every path (whole tiles of 4 vectors of outputs, single vectors, an overlapping
/// last vector, 0-3 rows left over from the 4-row tiles, the sparse dW and the fallback for sizes it does not take).
/// </summary>
public sealed class TransposedWeightTests
{
    internal static readonly (int Rows, int In, int Out)[] Shapes =
    [
        (64, 784, 256), (1, 784, 256), (5, 784, 33), (7, 100, 9), (17, 33, 65), (20, 130, 13), (64, 256, 10), (3, 2, 3),
        (130, 70, 7), (16, 64, 6), (1, 17, 1), (48, 64, 512), (16, 32, 256), (16, 32, 128), (33, 48, 64), (38, 32, 128),
        (35, 784, 192), (32, 16, 64), (18, 20, 100), (2, 5, 17),
    ];

    internal static float[] Transposed(float[] m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = m[r * cols + c];
        return t;
    }

    private static void SameBits(float[] want, float[] got, string what) => Reference.SameBitsUpToZeroSign(want, got, what, "from the transposed weight", "from PyTorch's layout");

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void ForwardMatchesTheReferenceAndTheRowMajorProduct(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in Shapes)
        {
            float[] x = SkipZeroInputsTests.SparseInput(rows, k, 1), w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3);
            float[] wT = Transposed(w, n, k);
            foreach (bool skip in new[] { false, true })
                foreach (float[]? bias in new[] { b, null })
                {
                    string what = $"forward {rows}×{k}×{n} at width {width}{(skip ? ", skipping zeros" : "")}{(bias is null ? ", no bias" : "")}";
                    float[] rowMajor = new float[rows * n], transposed = new float[rows * n];
                    ModelGen.Kernels.LinearForward(rowMajor, x, w, bias, rows, k, n, skip);
                    ModelGen.Kernels.LinearForwardTransposed(transposed, x, wT, bias, rows, k, n, skip);
                    var (want, scale) = Reference.Linear(x, w, bias, rows, k, n);
                    for (int i = 0; i < want.Length; i++)
                        Reference.Near(want[i], transposed[i], 1e-6 * scale[i] + 1e-30, $"{what}, value {i}");
                    // LinearForward's batch form (rows in the lanes) takes at least one vector of rows at the width it picks for k.
                    int lanes = width switch { 0 => 16, 256 => 8, 128 => 4, _ => 1 };
                    while (lanes > k) lanes /= 2;
                    if (rows >= lanes) SameBits(rowMajor, transposed, what);
                }
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void WeightGradientIsTheTransposeOfTheRowMajorOne(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in Shapes)
        {
            float[] x = SkipZeroInputsTests.SparseInput(rows, k, 4), dy = Reference.Normal(rows * n, 5), start = Reference.Normal(n * k, 6);
            foreach (bool skip in new[] { false, true })
                foreach (bool accumulate in new[] { true, false })
                {
                    string what = $"dw {rows}×{k}×{n} at width {width}{(skip ? ", skipping zeros" : "")}{(accumulate ? "" : ", overwriting")}";
                    float[] dw = (float[])start.Clone(), dwT = Transposed(start, n, k);
                    ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n, skip, accumulate);
                    ModelGen.Kernels.LinearBackwardWeightTransposed(dwT, dy, x, rows, k, n, skip, accumulate);
                    SameBits(Transposed(dw, n, k), dwT, what);
                }
        }
    });

    [Fact]
    public void WithoutSkippingANanWeightFacingAZeroInputGivesNan()
    {
        const int rows = 32, k = 32, n = 64;
        float[] x = new float[rows * k], wT = Reference.Normal(k * n, 7), y = new float[rows * n];
        x[5] = 1f; // row 0 has one nonzero input; feature 3 is zero everywhere
        wT[3 * n + 10] = float.NaN;
        ModelGen.Kernels.LinearForwardTransposed(y, x, wT, default, rows, k, n);
        Assert.True(float.IsNaN(y[10]) && float.IsNaN(y[(rows - 1) * n + 10]), "0 · NaN is NaN, as in PyTorch");
        ModelGen.Kernels.LinearForwardTransposed(y, x, wT, default, rows, k, n, skipZeroInputs: true);
        Assert.False(float.IsNaN(y[10]), "skipZeroInputs skips the zero feature, NaN weight and all");
    }

    [Fact]
    public void WrongSizesAreRejectedWithTheirNames()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearForwardTransposed(new float[8], new float[8], new float[7], default, 2, 4, 4));
        Assert.Contains("wT", error.Message);
        error = Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardWeightTransposed(new float[15], new float[8], new float[8], 2, 4, 4));
        Assert.Contains("dwT", error.Message);
    }
}
