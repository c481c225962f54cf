using System;
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

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
        public float* Y, Mean, Rstd, X, Weight, Bias, Dy, Dx;
        public int Rows, Dim, Parts;
        public float Eps;
    }

    private static unsafe void LayerNormForwardRows(void* state, int begin, int end)
    {
        var p = (NormOperands*)state;
        switch (Widths.For(p->Dim))
        {
            case VectorWidth.V512: LayerNormForwardRows<Simd512, Vector512<float>>(p, begin, end); break;
            case VectorWidth.V256: LayerNormForwardRows<Simd256, Vector256<float>>(p, begin, end); break;
            case VectorWidth.V128: LayerNormForwardRows<Simd128, Vector128<float>>(p, begin, end); break;
            default: LayerNormForwardRows<Simd1, float>(p, begin, end); break;
        }
    }

    // Per row: the mean, then the biased variance around it (two passes, as PyTorch), then y = (x − mean)·rstd·w + b.
    // Rows go in pairs: each sum is one chain of dependent adds, and taking the two rows' sums one after the other,
    // before either row is normalized, lets the core run their chains side by side (every row's operations and their
    // order are the same as alone).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LayerNormForwardRows<TS, TVec>(NormOperands* p, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        int dim = p->Dim;
        var row = new RowVectors<TS, TVec>(dim);
        int r = begin;
        for (; r + 2 <= end; r += 2)
        {
            ref float x0 = ref p->X[(nint)r * dim], x1 = ref p->X[(nint)(r + 1) * dim];
            float m0 = TS.Sum(RowSum<TS, TVec>(ref x0, row)) / dim, m1 = TS.Sum(RowSum<TS, TVec>(ref x1, row)) / dim;
            TVec squares0 = SquaresAround<TS, TVec>(ref x0, m0, row), squares1 = SquaresAround<TS, TVec>(ref x1, m1, row);
            NormalizeRow<TS, TVec>(p, r, m0, 1f / MathF.Sqrt(TS.Sum(squares0) / dim + p->Eps), row);
            NormalizeRow<TS, TVec>(p, r + 1, m1, 1f / MathF.Sqrt(TS.Sum(squares1) / dim + p->Eps), row);
        }
        for (; r < end; r++)
        {
            ref float x = ref p->X[(nint)r * dim];
            float m = TS.Sum(RowSum<TS, TVec>(ref x, row)) / dim;
            NormalizeRow<TS, TVec>(p, r, m, 1f / MathF.Sqrt(TS.Sum(SquaresAround<TS, TVec>(ref x, m, row)) / dim + p->Eps), row);
        }
    }

    // Σ x of a row, lane by lane (the caller sums the lanes), one chain of adds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec RowSum<TS, TVec>(ref float x, RowVectors<TS, TVec> row)
        where TS : ISimd<TVec> where TVec : struct
    {
        TVec sum = TS.Zero;
        for (nuint i = 0; i < row.Whole; i += row.Width) sum = TS.Add(sum, TS.Load(ref x, i));
        if (row.HasTail) sum = TS.Add(sum, TS.Select(row.Fresh, TS.Load(ref x, row.Last), TS.Zero));
        return sum;
    }

    // Σ (x − mean)² of a row, lane by lane (the caller sums the lanes), one chain of FMAs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec SquaresAround<TS, TVec>(ref float x, float mean, RowVectors<TS, TVec> row)
        where TS : ISimd<TVec> where TVec : struct
    {
        TVec mv = TS.Create(mean), squares = TS.Zero;
        for (nuint i = 0; i < row.Whole; i += row.Width)
        {
            TVec d = TS.Subtract(TS.Load(ref x, i), mv);
            squares = TS.MultiplyAdd(d, d, squares);
        }
        if (row.HasTail)
        {
            TVec d = TS.Select(row.Fresh, TS.Subtract(TS.Load(ref x, row.Last), mv), TS.Zero);
            squares = TS.MultiplyAdd(d, d, squares);
        }
        return squares;
    }

    // Saves row r's mean and rstd and writes y = (x − mean)·rstd·w + b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void NormalizeRow<TS, TVec>(NormOperands* p, int r, float mean, float rstd, RowVectors<TS, TVec> row)
        where TS : ISimd<TVec> where TVec : struct
    {
        int dim = p->Dim;
        ref float x = ref p->X[(nint)r * dim], y = ref p->Y[(nint)r * dim];
        ref float w = ref *p->Weight, b = ref *p->Bias;
        p->Mean[r] = mean;
        p->Rstd[r] = rstd;
        TVec mv = TS.Create(mean), sv = TS.Create(rstd);
        for (nuint i = 0; i < row.Whole; i += row.Width)
            TS.Store(LayerNormValue<TS, TVec>(ref x, ref w, ref b, i, mv, sv), ref y, i);
        if (row.HasTail) TS.Store(LayerNormValue<TS, TVec>(ref x, ref w, ref b, row.Last, mv, sv), ref y, row.Last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec LayerNormValue<TS, TVec>(ref float x, ref float w, ref float b, nuint i, TVec mean, TVec rstd)
        where TS : ISimd<TVec> where TVec : struct
        => TS.MultiplyAdd(TS.Multiply(TS.Subtract(TS.Load(ref x, i), mean), rstd), TS.Load(ref w, i), TS.Load(ref b, i));

    /// <summary>
    /// A row of <c>dim</c> floats as whole vectors and, when dim is not a multiple of the width, one overlapping last
    /// vector at <see cref="Last"/> whose <see cref="Fresh"/> lanes are the ones no whole vector covered.
    /// </summary>
    private readonly struct RowVectors<TS, TVec> where TS : ISimd<TVec> where TVec : struct
    {
        public readonly nuint Width, Whole, Last;
        public readonly bool HasTail;
        public readonly TVec Fresh;

        public RowVectors(int dim)
        {
            Width = (nuint)TS.Count;
            Whole = (nuint)dim / Width * Width;
            HasTail = Whole != (nuint)dim;
            Last = HasTail ? (nuint)dim - Width : 0;
            Fresh = TS.LanesFrom(HasTail ? (int)(Whole - Last) : 0);
        }
    }

    /// <summary>
    /// LayerNorm backward. With x̂ = (x − mean)·rstd and g = dy·weight:
    /// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) (overwritten); dweight += Σ dy·x̂, dbias += Σ dy (accumulated, or with
    /// <paramref name="accumulate"/> false written over with the values of adding into zeros).
    /// dx must not overlap dy or x.
    /// </summary>
    public static unsafe void LayerNormBackward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, int rows, int dim,
        bool accumulate = true)
    {
        CheckRows(rows, dim);
        CheckLength(dx, rows * dim); CheckLength(dy, rows * dim); CheckLength(x, rows * dim);
        CheckLength(mean, rows); CheckLength(rstd, rows);
        CheckLength(weight, dim); CheckLength(dweight, dim); CheckLength(dbias, dim);
        if (!accumulate)
        {
            dweight[..dim].Clear();
            dbias[..dim].Clear();
        }
        fixed (float* pdx = dx, pdw = dweight, pdb = dbias, pdy = dy, px = x, pMean = mean, pRstd = rstd, pWeight = weight)
        {
            // Y and Bias carry dweight and dbias here, Dx carries dx.
            int columnBlocks = (dim + 15) / 16;
            int parts = Math.Clamp(Math.Max(columnBlocks / 8, rows / NormRowsPerThread), 1, KernelThreads.Count);
            var norm = new NormOperands { Y = pdw, Bias = pdb, Dx = pdx, Dy = pdy, X = px, Mean = pMean, Rstd = pRstd, Weight = pWeight, Rows = rows, Dim = dim, Parts = parts };
            KernelThreads.For(parts, &norm, &LayerNormBackwardParts, minimumPerThread: 1);
        }
    }

    // One parallel region for both halves of the backward: part t of Parts takes the t-th share of the columns of
    // dweight and dbias, which sum over every row (so each sum keeps its order whichever thread has it), and the t-th
    // share of the rows of dx, which are independent. (In two regions, one per half, the MNIST trainer paid for a
    // second hand-off to the other core in each LayerNorm backward.)
    private static unsafe void LayerNormBackwardParts(void* state, int begin, int end)
    {
        var p = (NormOperands*)state;
        for (int part = begin; part < end; part++)
        {
            (int c0, int c1) = KernelThreads.Chunk((p->Dim + 15) / 16, part, p->Parts);
            if (c1 > c0) LayerNormParameterGradientColumns(state, c0, c1);
            (int r0, int r1) = KernelThreads.Chunk(p->Rows, part, p->Parts);
            if (r1 > r0) LayerNormInputGradientRows(state, r0, r1);
        }
    }

    // dweight += Σ dy·x̂ and dbias += Σ dy over the rows, for columns [16·begin, 16·end): each column's sums run over
    // the rows in order, whichever thread has the column.
    private static unsafe void LayerNormParameterGradientColumns(void* state, int begin, int end)
    {
        var p = (NormOperands*)state;
        int c0 = 16 * begin, width = Math.Min(16 * end, p->Dim) - c0;
        switch (Widths.For(width))
        {
            case VectorWidth.V512: LayerNormParameterGradientColumns<Simd512, Vector512<float>>(p, c0, width); break;
            case VectorWidth.V256: LayerNormParameterGradientColumns<Simd256, Vector256<float>>(p, c0, width); break;
            case VectorWidth.V128: LayerNormParameterGradientColumns<Simd128, Vector128<float>>(p, c0, width); break;
            default: LayerNormParameterGradientColumns<Simd1, float>(p, c0, width); break;
        }
    }

    // Rows outer, columns inner: the block's dweight and dbias stay in L1 while each row streams past (going down a
    // column instead reads rows 4·dim bytes apart, which at dim = 256 fall into a few L1 sets and evict each other).
    // An overlapping last vector adds only its fresh lanes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LayerNormParameterGradientColumns<TS, TVec>(NormOperands* p, int c0, int width)
        where TS : ISimd<TVec> where TVec : struct
    {
        int dim = p->Dim;
        var cols = new RowVectors<TS, TVec>(width);
        ref float dw = ref p->Y[c0], db = ref p->Bias[c0];
        ref float x0 = ref p->X[c0], dy0 = ref p->Dy[c0];
        // Whole vectors, 4 at a time and then one: the sums stay in registers over the rows and are stored once, so
        // two threads never write near each other's columns row after row (the sums are added in the same order).
        nuint whole = 0, v1 = cols.Width, v2 = 2 * v1, v3 = 3 * v1;
        for (; whole + 4 * cols.Width <= cols.Whole; whole += 4 * cols.Width)
        {
            ref float w = ref Unsafe.Add(ref dw, whole), b = ref Unsafe.Add(ref db, whole);
            TVec w0 = TS.Load(ref w, 0), w1 = TS.Load(ref w, v1), w2 = TS.Load(ref w, v2), w3 = TS.Load(ref w, v3);
            TVec b0 = TS.Load(ref b, 0), b1 = TS.Load(ref b, v1), b2 = TS.Load(ref b, v2), b3 = TS.Load(ref b, v3);
            for (int r = 0; r < p->Rows; r++)
            {
                ref float x = ref Unsafe.Add(ref x0, (nint)r * dim + (nint)whole), dy = ref Unsafe.Add(ref dy0, (nint)r * dim + (nint)whole);
                TVec mean = TS.Create(p->Mean[r]), rstd = TS.Create(p->Rstd[r]);
                TVec g0 = TS.Load(ref dy, 0), g1 = TS.Load(ref dy, v1), g2 = TS.Load(ref dy, v2), g3 = TS.Load(ref dy, v3);
                w0 = TS.MultiplyAdd(g0, TS.Multiply(TS.Subtract(TS.Load(ref x, 0), mean), rstd), w0);
                w1 = TS.MultiplyAdd(g1, TS.Multiply(TS.Subtract(TS.Load(ref x, v1), mean), rstd), w1);
                w2 = TS.MultiplyAdd(g2, TS.Multiply(TS.Subtract(TS.Load(ref x, v2), mean), rstd), w2);
                w3 = TS.MultiplyAdd(g3, TS.Multiply(TS.Subtract(TS.Load(ref x, v3), mean), rstd), w3);
                b0 = TS.Add(b0, g0); b1 = TS.Add(b1, g1); b2 = TS.Add(b2, g2); b3 = TS.Add(b3, g3);
            }
            TS.Store(w0, ref w, 0); TS.Store(w1, ref w, v1); TS.Store(w2, ref w, v2); TS.Store(w3, ref w, v3);
            TS.Store(b0, ref b, 0); TS.Store(b1, ref b, v1); TS.Store(b2, ref b, v2); TS.Store(b3, ref b, v3);
        }
        for (; whole < cols.Whole; whole += cols.Width)
        {
            TVec w0 = TS.Load(ref dw, whole), b0 = TS.Load(ref db, whole);
            for (int r = 0; r < p->Rows; r++)
            {
                nint at = (nint)r * dim + (nint)whole;
                TVec g = TS.Load(ref Unsafe.Add(ref dy0, at), 0);
                w0 = TS.MultiplyAdd(g, TS.Multiply(TS.Subtract(TS.Load(ref Unsafe.Add(ref x0, at), 0), TS.Create(p->Mean[r])), TS.Create(p->Rstd[r])), w0);
                b0 = TS.Add(b0, g);
            }
            TS.Store(w0, ref dw, whole);
            TS.Store(b0, ref db, whole);
        }
        // The overlapping last vector (width not a multiple of the vector) adds into its fresh lanes only.
        if (!cols.HasTail) return;
        nuint last = cols.Last;
        TVec zero = TS.Zero, tw = TS.Load(ref dw, last), tb = TS.Load(ref db, last);
        for (int r = 0; r < p->Rows; r++)
        {
            nint at = (nint)r * dim + (nint)last;
            TVec g = TS.Select(cols.Fresh, TS.Load(ref Unsafe.Add(ref dy0, at), 0), zero);
            TVec xhat = TS.Multiply(TS.Subtract(TS.Load(ref Unsafe.Add(ref x0, at), 0), TS.Create(p->Mean[r])), TS.Create(p->Rstd[r]));
            tw = TS.Select(cols.Fresh, TS.MultiplyAdd(g, xhat, tw), tw);
            tb = TS.Select(cols.Fresh, TS.Add(tb, g), tb);
        }
        TS.Store(tw, ref dw, last);
        TS.Store(tb, ref db, last);
    }

    // dx for rows [begin, end): with g = dy·weight and x̂ = (x − mean)·rstd, dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
    private static unsafe void LayerNormInputGradientRows(void* state, int begin, int end)
    {
        var p = (NormOperands*)state;
        switch (Widths.For(p->Dim))
        {
            case VectorWidth.V512: LayerNormInputGradientRows<Simd512, Vector512<float>>(p, begin, end); break;
            case VectorWidth.V256: LayerNormInputGradientRows<Simd256, Vector256<float>>(p, begin, end); break;
            case VectorWidth.V128: LayerNormInputGradientRows<Simd128, Vector128<float>>(p, begin, end); break;
            default: LayerNormInputGradientRows<Simd1, float>(p, begin, end); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LayerNormInputGradientRows<TS, TVec>(NormOperands* p, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        int dim = p->Dim;
        var row = new RowVectors<TS, TVec>(dim);
        ref float w = ref *p->Weight;
        for (int r = begin; r < end; r++)
        {
            ref float x = ref p->X[(nint)r * dim];
            ref float dy = ref p->Dy[(nint)r * dim];
            ref float dx = ref p->Dx[(nint)r * dim];
            TVec mean = TS.Create(p->Mean[r]), rstd = TS.Create(p->Rstd[r]);
            TVec sumG = TS.Zero, sumGx = TS.Zero;
            for (nuint i = 0; i < row.Whole; i += row.Width)
            {
                TVec g = TS.Multiply(TS.Load(ref dy, i), TS.Load(ref w, i));
                TVec xhat = TS.Multiply(TS.Subtract(TS.Load(ref x, i), mean), rstd);
                sumG = TS.Add(sumG, g);
                sumGx = TS.MultiplyAdd(g, xhat, sumGx);
            }
            if (row.HasTail)
            {
                TVec g = TS.Select(row.Fresh, TS.Multiply(TS.Load(ref dy, row.Last), TS.Load(ref w, row.Last)), TS.Zero);
                TVec xhat = TS.Multiply(TS.Subtract(TS.Load(ref x, row.Last), mean), rstd);
                sumG = TS.Add(sumG, g);
                sumGx = TS.MultiplyAdd(g, xhat, sumGx);
            }
            TVec meanG = TS.Create(TS.Sum(sumG) / dim), minusMeanGx = TS.Create(-(TS.Sum(sumGx) / dim));
            for (nuint i = 0; i < row.Whole; i += row.Width)
                TS.Store(LayerNormInputGradient<TS, TVec>(ref x, ref dy, ref w, i, mean, rstd, meanG, minusMeanGx), ref dx, i);
            if (row.HasTail)
                TS.Store(LayerNormInputGradient<TS, TVec>(ref x, ref dy, ref w, row.Last, mean, rstd, meanG, minusMeanGx), ref dx, row.Last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec LayerNormInputGradient<TS, TVec>(ref float x, ref float dy, ref float w, nuint i, TVec mean, TVec rstd, TVec meanG, TVec minusMeanGx)
        where TS : ISimd<TVec> where TVec : struct
    {
        TVec g = TS.Multiply(TS.Load(ref dy, i), TS.Load(ref w, i));
        TVec xhat = TS.Multiply(TS.Subtract(TS.Load(ref x, i), mean), rstd);
        return TS.Multiply(TS.Subtract(TS.MultiplyAdd(xhat, minusMeanGx, g), meanG), rstd);
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
    /// RMSNorm backward. With g = dy·weight: dx = rrms·g − x·rrms³·mean(g·x) (overwritten); dweight += Σ dy·x·rrms
    /// (accumulated, or with <paramref name="accumulate"/> false written over with the values of adding into zeros).
    /// </summary>
    public static void RMSNormBackward(Span<float> dx, Span<float> dweight, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> rrms, ReadOnlySpan<float> weight, int rows, int dim,
        bool accumulate = true)
    {
        CheckRows(rows, dim);
        CheckLength(dx, rows * dim); CheckLength(dy, rows * dim); CheckLength(x, rows * dim);
        CheckLength(rrms, rows); CheckLength(weight, dim); CheckLength(dweight, dim);
        var g = ScratchRow(dim);
        var dw = dweight[..dim];
        if (!accumulate) dw.Clear();
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
