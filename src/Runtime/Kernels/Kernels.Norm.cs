using System;
using System.Numerics.Tensors;

namespace ModelGen;

public static partial class Kernels
{
    // Per-thread scratch of one row, grown once: the norms' backward needs one row of dy·weight.
    [ThreadStatic] private static float[]? t_row;

    private static Span<float> ScratchRow(int length)
    {
        if (t_row is null || t_row.Length < length) t_row = new float[Math.Max(length, 256)];
        return t_row.AsSpan(0, length);
    }

    private static void CheckRows(int rows, int dim)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must not be negative.");
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "dim must be positive.");
    }

    /// <summary>
    /// LayerNorm over the last dimension, as <c>nn.LayerNorm</c>: mean and biased variance per row,
    /// y = (x − mean)·rstd·weight + bias with rstd = 1/√(var + eps). Saves mean and rstd (one per row) for backward.
    /// </summary>
    public static void LayerNormForward(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int rows, int dim, float eps)
    {
        CheckRows(rows, dim);
        CheckLength(y, rows * dim); CheckLength(x, rows * dim);
        CheckLength(mean, rows); CheckLength(rstd, rows);
        CheckLength(weight, dim); CheckLength(bias, dim);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float m = TensorPrimitives.Sum(xr) / dim;
            TensorPrimitives.Subtract(xr, m, yr);
            float variance = TensorPrimitives.SumOfSquares(yr) / dim;
            float s = 1f / MathF.Sqrt(variance + eps);
            mean[r] = m;
            rstd[r] = s;
            TensorPrimitives.Multiply(yr, s, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, weight[..dim], bias[..dim], yr);
        }
    }

    /// <summary>
    /// LayerNorm backward. With x̂ = (x − mean)·rstd and g = dy·weight:
    /// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) (overwritten); dweight += Σ dy·x̂, dbias += Σ dy (accumulated).
    /// dx must not overlap dy or x (it holds x̂ while the row is worked on).
    /// </summary>
    public static void LayerNormBackward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, int rows, int dim)
    {
        CheckRows(rows, dim);
        CheckLength(dx, rows * dim); CheckLength(dy, rows * dim); CheckLength(x, rows * dim);
        CheckLength(mean, rows); CheckLength(rstd, rows);
        CheckLength(weight, dim); CheckLength(dweight, dim); CheckLength(dbias, dim);
        var g = ScratchRow(dim);
        var dw = dweight[..dim];
        var db = dbias[..dim];
        for (int r = 0; r < rows; r++)
        {
            var dyr = dy.Slice(r * dim, dim);
            var xhat = dx.Slice(r * dim, dim); // x̂ lives in dx until dx is written
            TensorPrimitives.Subtract(x.Slice(r * dim, dim), mean[r], xhat);
            TensorPrimitives.Multiply(xhat, rstd[r], xhat);
            TensorPrimitives.FusedMultiplyAdd(dyr, xhat, dw, dw);
            TensorPrimitives.Add(db, dyr, db);

            TensorPrimitives.Multiply(dyr, weight[..dim], g);
            float meanG = TensorPrimitives.Sum(g) / dim;
            float meanGx = TensorPrimitives.Dot(g, xhat) / dim;
            TensorPrimitives.FusedMultiplyAdd(xhat, -meanGx, g, xhat); // g − x̂·mean(g·x̂)
            TensorPrimitives.Subtract(xhat, meanG, xhat);
            TensorPrimitives.Multiply(xhat, rstd[r], xhat);
        }
    }

    /// <summary>RMSNorm over the last dimension: y = x·rrms·weight with rrms = 1/√(mean(x²) + eps), saved per row.</summary>
    public static void RMSNormForward(Span<float> y, Span<float> rrms, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int rows, int dim, float eps)
    {
        CheckRows(rows, dim);
        CheckLength(y, rows * dim); CheckLength(x, rows * dim);
        CheckLength(rrms, rows); CheckLength(weight, dim);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float s = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xr) / dim + eps);
            rrms[r] = s;
            TensorPrimitives.Multiply(xr, s, yr);
            TensorPrimitives.Multiply(yr, weight[..dim], yr);
        }
    }

    /// <summary>
    /// RMSNorm backward. With g = dy·weight: dx = rrms·g − x·rrms³·mean(g·x) (overwritten); dweight += Σ dy·x·rrms.
    /// </summary>
    public static void RMSNormBackward(Span<float> dx, Span<float> dweight, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> rrms, ReadOnlySpan<float> weight, int rows, int dim)
    {
        CheckRows(rows, dim);
        CheckLength(dx, rows * dim); CheckLength(dy, rows * dim); CheckLength(x, rows * dim);
        CheckLength(rrms, rows); CheckLength(weight, dim); CheckLength(dweight, dim);
        var g = ScratchRow(dim);
        var dw = dweight[..dim];
        for (int r = 0; r < rows; r++)
        {
            var dyr = dy.Slice(r * dim, dim);
            var xr = x.Slice(r * dim, dim);
            var dxr = dx.Slice(r * dim, dim);
            float s = rrms[r];
            TensorPrimitives.Multiply(dyr, xr, g);
            TensorPrimitives.FusedMultiplyAdd(g, s, dw, dw);

            TensorPrimitives.Multiply(dyr, weight[..dim], g);
            float meanGx = TensorPrimitives.Dot(g, xr) / dim;
            TensorPrimitives.Multiply(g, s, dxr);
            TensorPrimitives.FusedMultiplyAdd(xr, -s * s * s * meanGx, dxr, dxr);
        }
    }
}
