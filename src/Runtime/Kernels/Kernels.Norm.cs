using System;
using System.Runtime.CompilerServices;
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
    public static unsafe void LayerNormForward(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int rows, int dim, float eps)
    {
        CheckRows(rows, dim);
        CheckLength(y, rows * dim); CheckLength(x, rows * dim);
        CheckLength(mean, rows); CheckLength(rstd, rows);
        CheckLength(weight, dim); CheckLength(bias, dim);
        fixed (float* py = y, pMean = mean, pRstd = rstd, px = x, pWeight = weight, pBias = bias)
        {
            var norm = new NormOperands { Y = py, Mean = pMean, Rstd = pRstd, X = px, Weight = pWeight, Bias = pBias, Dim = dim, Eps = eps };
            KernelThreads.For(rows, &norm, &LayerNormForwardRows, minimumPerThread: NormRowsPerThread);
        }
    }

    // Rows are independent, so threads split them; fewer rows than this per thread are not worth a hand-off.
    private const int NormRowsPerThread = 16;

    /// <summary>The operands of a norm kernel, pinned by the caller for the duration of the call.</summary>
    private unsafe struct NormOperands
    {
        public float* Y, Mean, Rstd, X, Weight, Bias, Dy;
        public int Rows, Dim;
        public float Eps;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LayerNormForwardRows(void* state, int begin, int end)
    {
        var p = (NormOperands*)state;
        int dim = p->Dim;
        var weight = new ReadOnlySpan<float>(p->Weight, dim);
        var bias = new ReadOnlySpan<float>(p->Bias, dim);
        for (int r = begin; r < end; r++)
        {
            var xr = new ReadOnlySpan<float>(p->X + (nint)r * dim, dim);
            var yr = new Span<float>(p->Y + (nint)r * dim, dim);
            float m = TensorPrimitives.Sum(xr) / dim;
            TensorPrimitives.Subtract(xr, m, yr);
            float variance = TensorPrimitives.SumOfSquares(yr) / dim;
            float s = 1f / MathF.Sqrt(variance + p->Eps);
            p->Mean[r] = m;
            p->Rstd[r] = s;
            TensorPrimitives.Multiply(yr, s, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, weight, bias, yr);
        }
    }

    /// <summary>
    /// LayerNorm backward. With x̂ = (x − mean)·rstd and g = dy·weight:
    /// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) (overwritten); dweight += Σ dy·x̂, dbias += Σ dy (accumulated).
    /// dx must not overlap dy or x (it holds x̂ while the row is worked on).
    /// </summary>
    public static unsafe void LayerNormBackward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, int rows, int dim)
    {
        CheckRows(rows, dim);
        CheckLength(dx, rows * dim); CheckLength(dy, rows * dim); CheckLength(x, rows * dim);
        CheckLength(mean, rows); CheckLength(rstd, rows);
        CheckLength(weight, dim); CheckLength(dweight, dim); CheckLength(dbias, dim);
        fixed (float* pdx = dx, pdw = dweight, pdb = dbias, pdy = dy, px = x, pMean = mean, pRstd = rstd, pWeight = weight)
        {
            // dweight and dbias sum over rows: threads split their columns, so each sum keeps its order. dx is per row.
            // Y and Bias carry dweight and dbias here.
            var norm = new NormOperands { Y = pdw, Bias = pdb, Dy = pdy, X = px, Mean = pMean, Rstd = pRstd, Weight = pWeight, Rows = rows, Dim = dim };
            KernelThreads.For((dim + 15) / 16, &norm, &LayerNormParameterGradientColumns, minimumPerThread: 4);
            norm.Y = pdx;
            KernelThreads.For(rows, &norm, &LayerNormInputGradientRows, minimumPerThread: NormRowsPerThread);
        }
    }

    // dweight += Σ dy·x̂ and dbias += Σ dy over the rows, for columns [16·begin, 16·end).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LayerNormParameterGradientColumns(void* state, int begin, int end)
    {
        var p = (NormOperands*)state;
        int dim = p->Dim, c0 = 16 * begin, width = Math.Min(16 * end, dim) - c0;
        var dw = new Span<float>(p->Y + c0, width);
        var db = new Span<float>(p->Bias + c0, width);
        var xhat = ScratchRow(width);
        for (int r = 0; r < p->Rows; r++)
        {
            var dyr = new ReadOnlySpan<float>(p->Dy + (nint)r * dim + c0, width);
            TensorPrimitives.Subtract(new ReadOnlySpan<float>(p->X + (nint)r * dim + c0, width), p->Mean[r], xhat);
            TensorPrimitives.Multiply(xhat, p->Rstd[r], xhat);
            TensorPrimitives.FusedMultiplyAdd(dyr, xhat, dw, dw);
            TensorPrimitives.Add(db, dyr, db);
        }
    }

    // dx for rows [begin, end).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LayerNormInputGradientRows(void* state, int begin, int end)
    {
        var p = (NormOperands*)state;
        int dim = p->Dim;
        var g = ScratchRow(dim);
        var weight = new ReadOnlySpan<float>(p->Weight, dim);
        for (int r = begin; r < end; r++)
        {
            var dyr = new ReadOnlySpan<float>(p->Dy + (nint)r * dim, dim);
            var xhat = new Span<float>(p->Y + (nint)r * dim, dim); // x̂ lives in dx until dx is written
            TensorPrimitives.Subtract(new ReadOnlySpan<float>(p->X + (nint)r * dim, dim), p->Mean[r], xhat);
            TensorPrimitives.Multiply(xhat, p->Rstd[r], xhat);
            TensorPrimitives.Multiply(dyr, weight, g);
            float meanG = TensorPrimitives.Sum(g) / dim;
            float meanGx = TensorPrimitives.Dot(g, xhat) / dim;
            TensorPrimitives.FusedMultiplyAdd(xhat, -meanGx, g, xhat); // g − x̂·mean(g·x̂)
            TensorPrimitives.Subtract(xhat, meanG, xhat);
            TensorPrimitives.Multiply(xhat, p->Rstd[r], xhat);
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
