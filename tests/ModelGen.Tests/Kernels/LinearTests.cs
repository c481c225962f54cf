using System;
using System.Linq;

namespace ModelGen.Tests.Kernels;

/// <summary>
/// The three products of a Linear layer and its bias gradient against naive double references, at every width, over
/// shapes that hit every tile edge (rows and outputs not multiples of 4, inFeatures not a multiple of any vector).
/// Tolerance: 1e-5 of the sum of |terms| of each output, so long sums are judged by their size, not their
/// possibly cancelled result (float accumulation over 784 terms stays below 4e-6 of it).
/// </summary>
public sealed class LinearTests
{
    private static readonly (int Rows, int In, int Out)[] s_shapes =
    [
        (1, 1, 1), (3, 5, 7), (17, 33, 65), (64, 784, 256), (1, 784, 256), (63, 256, 10), (5, 17, 33), (2, 16, 1),
        (4, 48, 20), (9, 100, 3), (7, 64, 2), (13, 129, 31), (6, 8, 5), (5, 4, 9), (3, 2, 3), (2, 31, 4), (33, 7, 16),
        (40, 19, 13), (130, 18, 7), (64, 16, 32), (16, 33, 6),
    ];

    private const double Relative = 1e-5;

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void ForwardMatchesNaiveWithAndWithoutBias(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] x = Reference.Normal(rows * k, 1), w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3);
            // One row more than needed and a sentinel after it: the kernel writes rows × out values and nothing else.
            var y = new float[(rows + 1) * n];
            Array.Fill(y, 123f);
            ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n);
            var (want, scale) = Reference.Linear(x, w, b, rows, k, n);
            for (int i = 0; i < want.Length; i++)
                Reference.Near(want[i], y[i], Relative * scale[i] + 1e-30, $"y[{i / n},{i % n}] of {rows}×{k}×{n}");
            for (int i = want.Length; i < y.Length; i++) Assert.Equal(123f, y[i]);

            ModelGen.Kernels.LinearForward(y, x, w, default, rows, k, n);
            (want, scale) = Reference.Linear(x, w, null, rows, k, n);
            for (int i = 0; i < want.Length; i++)
                Reference.Near(want[i], y[i], Relative * scale[i] + 1e-30, $"y[{i / n},{i % n}] of {rows}×{k}×{n} without bias");
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BackwardInputOverwritesWithDyTimesW(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] dy = Reference.Normal(rows * n, 4), w = Reference.Normal(n * k, 2);
            var dx = Reference.Normal(rows * k, 5, 1e3f); // garbage that must be overwritten, not added to
            ModelGen.Kernels.LinearBackwardInput(dx, dy, w, rows, k, n);
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < k; i++)
                {
                    double s = 0, scale = 0;
                    for (int o = 0; o < n; o++)
                    {
                        double term = (double)dy[r * n + o] * w[o * k + i];
                        s += term;
                        scale += Math.Abs(term);
                    }
                    Reference.Near(s, dx[r * k + i], Relative * scale + 1e-30, $"dx[{r},{i}] of {rows}×{k}×{n}");
                }
        }
    });

    // Every path of dx = dy · w (groups of 8 rows from 8 rows and 32 outputs, tiles of 4 rows below that) sums each
    // value from zero in the order of the outputs, one fused multiply-add a term: bit for bit the plain loop below, at
    // every width, on shapes that end 8-row groups and 2-vector strips early and overlap their last vector.
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BackwardInputSumsInTheOrderOfTheOutputsOnEveryPath(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes.Concat([(8, 256, 256), (9, 40, 32), (24, 48, 40), (64, 256, 256), (15, 17, 64)]))
        {
            float[] dy = Reference.Normal(rows * n, 4), w = Reference.Normal(n * k, 2);
            var dx = new float[rows * k];
            ModelGen.Kernels.LinearBackwardInput(dx, dy, w, rows, k, n);
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < k; i++)
                {
                    float sum = 0f;
                    for (int o = 0; o < n; o++) sum = MathF.FusedMultiplyAdd(dy[r * n + o], w[o * k + i], sum);
                    Assert.True(BitConverter.SingleToInt32Bits(sum) == BitConverter.SingleToInt32Bits(dx[r * k + i]),
                        $"dx[{r},{i}] of {rows}×{k}×{n}: {dx[r * k + i]:R}, the loop {sum:R}");
                }
        }
    });

    // The input gradient through the GELU this Linear reads is the plain input gradient and then GELU's backward in
    // place, bit for bit, at every width (groups of 8 rows multiply as they store dx, the others after the product;
    // ThreadingTests checks the same on 2 and 3 threads, where each thread scales its own rows).
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BackwardInputThroughGeluIsTheInputGradientThenGeluBackward(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] dy = Reference.Normal(rows * n, 4), w = Reference.Normal(n * k, 2);
            double[] derivative = GeluDerivative(rows * k);
            var expected = new float[rows * k];
            ModelGen.Kernels.LinearBackwardInput(expected, dy, w, rows, k, n);
            ModelGen.Kernels.GeluBackward(expected, expected, derivative);

            // One row more than needed and a sentinel after it: the kernel writes rows × in values and nothing else.
            var dx = Reference.Normal((rows + 1) * k, 5, 1e3f);
            float sentinel = dx[rows * k];
            ModelGen.Kernels.LinearBackwardInputThroughGelu(dx, dy, w, derivative, rows, k, n);
            Assert.True(expected.AsSpan().SequenceEqual(dx.AsSpan(0, rows * k)), $"{rows}×{k}×{n}");
            Assert.Equal(sentinel, dx[rows * k]);
        }
    });

    // The weight gradient with the bias's gradient in the same call (the generated code's form) gives each exactly what
    // the two kernels give on their own, bit for bit, at every width: dense and skipping zeros, dW and dWᵀ, added into
    // what is there or written over it, with a sentinel after the bias's gradient.
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BackwardWeightWithTheBiasIsBothGradientsOnTheirOwn(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes.Append((64, 784, 256)).Append((32, 48, 128)).Append((0, 16, 128)))
        {
            float[] dy = Reference.Normal(rows * n, 4), dense = Reference.Normal(rows * k, 1), sparse = SkipZeroInputsTests.SparseInput(rows, k, 1);
            foreach (bool skip in new[] { false, true })
                foreach (bool transposed in new[] { false, true })
                    foreach (bool accumulate in new[] { true, false })
                    {
                        float[] x = skip ? sparse : dense;
                        float[] expectedW = Reference.Normal(n * k, 5), expectedB = Reference.Normal(n + 1, 6);
                        float[] dw = (float[])expectedW.Clone(), db = (float[])expectedB.Clone();
                        if (transposed) ModelGen.Kernels.LinearBackwardWeightTransposed(expectedW, dy, x, rows, k, n, skip, accumulate);
                        else ModelGen.Kernels.LinearBackwardWeight(expectedW, dy, x, rows, k, n, skip, accumulate);
                        ModelGen.Kernels.LinearBackwardBias(expectedB, dy, rows, n, accumulate);

                        if (transposed) ModelGen.Kernels.LinearBackwardWeightTransposed(dw, dy, x, rows, k, n, skip, accumulate, db.AsSpan(0, n));
                        else ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n, skip, accumulate, db.AsSpan(0, n));
                        string what = $"{rows}×{k}×{n}, skip {skip}, transposed {transposed}, accumulate {accumulate}";
                        Assert.True(expectedW.AsSpan().SequenceEqual(dw), $"dw {what}");
                        Assert.True(expectedB.AsSpan().SequenceEqual(db), $"dbias {what}");
                    }
        }
        Assert.Equal("dbias", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardWeight(new float[6], new float[4], new float[6], 2, 3, 2, dbias: new float[1])).ParamName);
        Assert.Equal("dbias", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardWeightTransposed(new float[6], new float[4], new float[6], 2, 3, 2, dbias: new float[1])).ParamName);
    });

    /// <summary>gelu′ as GELU's forward saves it, at n normal inputs of standard deviation 2.</summary>
    internal static double[] GeluDerivative(int n)
    {
        var derivative = new double[n];
        ModelGen.Kernels.GeluForward(new float[n], derivative, Reference.Normal(n, 6, 2f));
        return derivative;
    }

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BackwardWeightAccumulatesDyTransposedTimesX(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] dy = Reference.Normal(rows * n, 4), x = Reference.Normal(rows * k, 1);
            float[] before = Reference.Normal(n * k + 3, 6); // 3 extra values that must stay untouched
            var dw = (float[])before.Clone();
            ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n);
            for (int o = 0; o < n; o++)
                for (int i = 0; i < k; i++)
                {
                    double s = before[o * k + i], scale = Math.Abs(s);
                    for (int r = 0; r < rows; r++)
                    {
                        double term = (double)dy[r * n + o] * x[r * k + i];
                        s += term;
                        scale += Math.Abs(term);
                    }
                    Reference.Near(s, dw[o * k + i], Relative * scale + 1e-30, $"dw[{o},{i}] of {rows}×{k}×{n}");
                }
            for (int i = n * k; i < dw.Length; i++) Assert.Equal(before[i], dw[i]);
        }
    });

    // The bias gradient adds the rows in order, in float: exactly the naive loop's bits, at every width and for
    // every remainder of the columns; values past outFeatures are not touched.
    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void BackwardBiasAccumulatesTheColumnSums(int width) => Reference.AtWidth(width, () =>
    {
        var shapes = s_shapes.Select(s => (s.Rows, s.Out)).Concat(Enumerable.Range(1, 70).Select(n => (3, n))).Append((64, 256)).Append((64, 10));
        foreach (var (rows, n) in shapes)
        {
            float[] dy = Reference.Normal(rows * n, 4), before = Reference.Normal(n + 1, 7);
            var db = (float[])before.Clone();
            ModelGen.Kernels.LinearBackwardBias(db.AsSpan(0, n), dy, rows, n);
            for (int o = 0; o < n; o++)
            {
                float s = before[o];
                for (int r = 0; r < rows; r++) s += dy[r * n + o];
                Assert.True(BitConverter.SingleToInt32Bits(s) == BitConverter.SingleToInt32Bits(db[o]), $"dbias[{o}] of {rows}×{n}: {db[o]:R}, want {s:R}");
            }
            Assert.Equal(before[n], db[n]);
        }
    });

    [Fact]
    public void DegenerateShapes()
    {
        // No input features: y = bias; dx has nothing to write; dw nothing to add.
        var y = new float[6];
        ModelGen.Kernels.LinearForward(y, default, default, new float[] { 1, 2, 3 }, 2, 0, 3);
        Assert.Equal(new float[] { 1, 2, 3, 1, 2, 3 }, y);
        ModelGen.Kernels.LinearForward(y, default, default, default, 2, 0, 3);
        Assert.Equal(new float[6], y);

        // No outputs: dx = dy · w is an empty sum, so zero.
        var dx = new float[] { 5, 5, 5, 5 };
        ModelGen.Kernels.LinearBackwardInput(dx, default, default, 2, 2, 0);
        Assert.Equal(new float[4], dx);

        // No rows: nothing is touched.
        var untouched = new float[] { 7, 7 };
        ModelGen.Kernels.LinearForward(untouched, default, new float[4], default, 0, 2, 2);
        ModelGen.Kernels.LinearBackwardWeight(untouched, default, default, 0, 1, 2);
        ModelGen.Kernels.LinearBackwardBias(untouched, default, 0, 2);
        Assert.Equal(new float[] { 7, 7 }, untouched);
    }

    [Fact]
    public void ShortSpansAndNegativeSizesAreRejectedByName()
    {
        float[] x = new float[6], w = new float[6], y = new float[4], b = new float[2];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearForward(y.AsSpan(0, 3), x, w, b, 2, 3, 2)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearForward(y, x.AsSpan(0, 5), w, b, 2, 3, 2)).ParamName);
        Assert.Equal("w", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearForward(y, x, w.AsSpan(0, 5), b, 2, 3, 2)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearForward(y, x, w, b.AsSpan(0, 1), 2, 3, 2)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => ModelGen.Kernels.LinearForward(y, x, w, b, -1, 3, 2)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardInput(x.AsSpan(0, 5), y, w, 2, 3, 2)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardInputThroughGelu(x.AsSpan(0, 5), y, w, new double[6], 2, 3, 2)).ParamName);
        Assert.Equal("geluDerivative", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardInputThroughGelu(x, y, w, new double[5], 2, 3, 2)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardWeight(w, y.AsSpan(0, 3), x, 2, 3, 2)).ParamName);
        Assert.Equal("dbias", Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearBackwardBias(b.AsSpan(0, 1), y, 2, 2)).ParamName);
        var error = Assert.Throws<ArgumentException>(() => ModelGen.Kernels.LinearForward(y, x, w, b, 2, 3, 3));
        Assert.Contains("6", error.Message); // what the shape needs
    }
}
