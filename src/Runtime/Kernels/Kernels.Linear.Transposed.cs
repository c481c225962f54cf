using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen;

// A Linear whose weight is stored transposed, wT (inFeatures, outFeatures): the layout of a layer that reads the
// model's input (a generated model keeps that layer's weight so; see ParameterInfo.StoredTransposed). Its products
// put the outputs in the vector lanes and broadcast the rows, which lets them skip an input's zeros row by row, and
// they read wT and write dWᵀ as they are: with the weight stored as PyTorch stores it, the same kernels transpose w
// into scratch first (17 µs of the 63 for the first layer of the MNIST batch) and the weight gradient's sums into
// dW (18 µs of 48).
//
// y = x·wT + bias: the batch tiles keep rows in the lanes, so they can skip a feature only where it is zero in all 32
// or 64 rows of a block (an MNIST digit has ink in 19% of its pixels, but 58-63% of them are inked somewhere in 32-64
// digits). Here a tile of 4 rows × 4 vectors of outputs sums only the features that are nonzero in one of its 4 rows:
// 39% of them on MNIST. Each output is the bias, then value · weight for each listed feature in order, one FMA each,
// as in the batch tiles: a feature listed here but zero in a row adds ±0, which changes nothing, so the result is the
// batch tiles' up to the sign of a zero result (and a NaN or ∞ weight facing a zero gives no NaN). Without
// skipZeroInputs every feature is listed. On a 64-image MNIST batch (bench/products.sh), one thread: 71-72 µs with
// the batch tiles, 63 µs this way from a row-major w (17 of them the transpose), 46 µs from wT.
public static partial class Kernels
{
    /// <summary>
    /// y(rows, outFeatures) = x(rows, inFeatures) · wT + bias, for a Linear whose weight is stored transposed: wT is
    /// (inFeatures, outFeatures), the transpose of PyTorch's (outFeatures, inFeatures) weight. The result is that of
    /// <see cref="LinearForward"/> with the weight as PyTorch stores it, bit for bit, for a batch of at least one
    /// vector of rows at the width LinearForward takes for inFeatures (16 rows with 512-bit vectors); fewer rows are
    /// summed here the way a batch is, where LinearForward sums each dot product across lanes.
    /// </summary>
    /// <param name="y">Output (rows, outFeatures), overwritten.</param>
    /// <param name="x">Input (rows, inFeatures).</param>
    /// <param name="wT">The weight, transposed: (inFeatures, outFeatures).</param>
    /// <param name="bias">Bias (outFeatures), or empty.</param>
    /// <param name="rows">Number of valid rows.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="skipZeroInputs">
    /// Sum, for each 4 rows, only the features that are nonzero in one of them (for data such as images). The result
    /// is the same as without: a zero input adds nothing to a sum. Only a NaN or infinite weight facing a zero input
    /// differs, giving 0 instead of NaN.
    /// </param>
    public static void LinearForwardTransposed(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> wT, ReadOnlySpan<float> bias, int rows, int inFeatures, int outFeatures,
        bool skipZeroInputs = false)
    {
        CheckNonNegative(rows);
        CheckNonNegative(inFeatures);
        CheckNonNegative(outFeatures);
        CheckLength(y, (long)rows * outFeatures);
        CheckLength(x, (long)rows * inFeatures);
        CheckLength(wT, (long)inFeatures * outFeatures);
        if (!bias.IsEmpty) CheckLength(bias, outFeatures);
        if (rows == 0 || outFeatures == 0) return;

        var shape = new Shape(rows, inFeatures, outFeatures);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ws = ref MemoryMarshal.GetReference(wT);
        switch (Widths.For(outFeatures))
        {
            case VectorWidth.V512: OutputLanesForward<Simd512, Vector512<float>>(ref ys, ref xs, ref Unsafe.NullRef<float>(), ref ws, bias, shape, skipZeroInputs); break;
            case VectorWidth.V256: OutputLanesForward<Simd256, Vector256<float>>(ref ys, ref xs, ref Unsafe.NullRef<float>(), ref ws, bias, shape, skipZeroInputs); break;
            case VectorWidth.V128: OutputLanesForward<Simd128, Vector128<float>>(ref ys, ref xs, ref Unsafe.NullRef<float>(), ref ws, bias, shape, skipZeroInputs); break;
            default: OutputLanesForward<Simd1, float>(ref ys, ref xs, ref Unsafe.NullRef<float>(), ref ws, bias, shape, skipZeroInputs); break;
        }
    }

    /// <summary>
    /// dwT(inFeatures, outFeatures) += x(rows, inFeatures)ᵀ · dy(rows, outFeatures): the weight gradient of a Linear
    /// whose weight is stored transposed, itself transposed, so bit for bit the transpose of what
    /// <see cref="LinearBackwardWeight"/> computes for the weight as PyTorch stores it. Accumulates, or overwrites
    /// with <paramref name="accumulate"/> false.
    /// </summary>
    /// <param name="dwT">Gradient of the weight, transposed: (inFeatures, outFeatures), added into (or overwritten).</param>
    /// <param name="dy">Gradient of the output (rows, outFeatures).</param>
    /// <param name="x">The forward input (rows, inFeatures).</param>
    /// <param name="rows">Number of valid rows.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="skipZeroInputs">
    /// Skip the zeros of x, each nonzero value on its own, with 512-bit vectors and sizes that fit (rows a multiple
    /// of 16, inFeatures of 16, outFeatures of 128); other sizes are summed in full. The result is the same (a NaN or
    /// infinite dy facing a zero input gives 0 instead of NaN where zeros are skipped).
    /// </param>
    /// <param name="accumulate">Add into dwT (the default), or write over it with the values of adding into zeros.</param>
    /// <param name="dbias">
    /// The bias's gradient (outFeatures), or empty (the default) for none: as in <see cref="LinearBackwardWeight"/>,
    /// it gets what <see cref="LinearBackwardBias"/> would give it, bit for bit, in the same parallel region where
    /// zeros are skipped.
    /// </param>
    public static void LinearBackwardWeightTransposed(Span<float> dwT, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rows, int inFeatures, int outFeatures,
        bool skipZeroInputs = false, bool accumulate = true, Span<float> dbias = default)
    {
        CheckNonNegative(rows);
        CheckNonNegative(inFeatures);
        CheckNonNegative(outFeatures);
        CheckLength(dwT, (long)inFeatures * outFeatures);
        CheckLength(dy, (long)rows * outFeatures);
        CheckLength(x, (long)rows * inFeatures);
        if (!dbias.IsEmpty) CheckLength(dbias, outFeatures);
        var shape = new Shape(rows, inFeatures, outFeatures);
        if (skipZeroInputs && SparseWeightGradientFits(shape))
        {
            SparseWeightGradient(ref MemoryMarshal.GetReference(dwT), ref MemoryMarshal.GetReference(dbias), ref MemoryMarshal.GetReference(dy),
                ref MemoryMarshal.GetReference(x), shape, accumulate, transposed: true);
            return;
        }
        // dwT = xᵀ·dy is the weight gradient of a layer from outFeatures to inFeatures whose output gradient is x and
        // whose input is dy: each value the same terms in the same row order.
        LinearBackwardWeight(dwT, x, dy, rows, inFeatures: outFeatures, outFeatures: inFeatures, skipZeroInputs: false, accumulate);
        if (!dbias.IsEmpty) LinearBackwardBias(dbias, dy, rows, outFeatures, accumulate);
    }

    // Outputs per tile: 4 vectors, which with 4 rows make 16 accumulators; per listed feature 4 loads of wT and 4
    // broadcasts of x feed 16 FMAs.
    private const int OutputLanesVectors = 4;

    // Rows per tile, which share one list of features.
    private const int OutputLanesRows = 4;

    /// <summary>Whether the batch forward of a weight stored as PyTorch stores it takes this file's tiles (through a transposed copy) with skipZeroInputs.</summary>
    private static bool SparseForwardFits(Shape shape)
        => BothSizes512(shape) && shape.K % 16 == 0 && shape.N % 64 == 0 && shape.Rows >= 32;

    private unsafe struct OutputLanesProduct
    {
        public float* Y, X, W, WT, Bias;
        public Shape Shape;
        public bool SkipZeroInputs;
    }

    // y = x·wT + bias. With w (row-major, PyTorch's layout) instead of null, each thread first transposes the rows of
    // w for its own outputs into wT, which is then scratch. Threads split the outputs, each summing them for every
    // row, so no thread reads what another wrote (split by rows, each would read the whole of wᵀ, half of it from the
    // other core's cache: 40.7 µs on two threads against 34 so, from w). Each thread lists the features of every 4
    // rows itself. A split needs about 64 K multiply-adds per thread to pay.
    private static unsafe void OutputLanesForward<TS, TVec>(ref float y, ref float x, ref float w, ref float wT, ReadOnlySpan<float> bias, Shape shape, bool skipZeroInputs)
        where TS : ISimd<TVec> where TVec : struct
    {
        int tile = OutputLanesVectors * TS.Count, tiles = (shape.N + tile - 1) / tile;
        long perTile = (long)shape.Rows * shape.K * tile;
        fixed (float* py = &y, px = &x, pw = &w, pwT = &wT, pBias = bias)
        {
            var product = new OutputLanesProduct { Y = py, X = px, W = pw, WT = pwT, Bias = pBias, Shape = shape, SkipZeroInputs = skipZeroInputs };
            KernelThreads.For(tiles, &product, &OutputLanesPart<TS, TVec>, minimumPerThread: (int)Math.Clamp(65536 / Math.Max(1, perTile), 1, tiles));
        }
    }

    // y = x·wᵀ + bias from a row-major w on an input that is mostly zero, through OutputLanesForward and a transposed
    // copy of w. (Its 512-bit form: 63 µs on the MNIST batch against 71-72 with the batch tiles.)
    private static void SparseForward(ref float y, ref float x, ref float w, ReadOnlySpan<float> bias, Shape shape)
        => OutputLanesForward<Simd512, Vector512<float>>(ref y, ref x, ref w, ref Scratch(ref t_transposedOutput, shape.K * shape.N), bias, shape, skipZeroInputs: true);

    // Outputs [tile·begin, tile·end), every row. From a row-major w, first wT's columns for them (w's rows), 16 rows
    // of wT at a time, so that the stores fill a few kilobytes of wT in turn: along w's rows instead, each 16 × 16
    // block stores into 16 rows of wT 1 KB apart, which fall into 4 of L1's 64 sets (at 256 × 784, 36 µs against 17).
    // Then the rows, 4 at a time; a last group of fewer than 4 repeats its last row, whose sums are then computed
    // twice and stored twice. Within the outputs, whole tiles, then single vectors, then one last vector ending at
    // outFeatures, which overlaps the one before: its lanes already done get the same values again.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OutputLanesPart<TS, TVec>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        var p = (OutputLanesProduct*)state;
        Shape shape = p->Shape;
        int k = shape.K, n = shape.N, last = shape.Rows - 1, width = TS.Count, tile = OutputLanesVectors * width;
        int o0 = tile * begin, o1 = Math.Min(n, tile * end);
        if (p->W != null)
        {
            for (int c0 = 0; c0 < k; c0 += 16)
                Transpose(ref p->WT[(nint)c0 * n + o0], n, ref p->W[(nint)o0 * k + c0], k, o1 - o0, Math.Min(16, k - c0));
        }
        ref int list = ref Scratch(ref t_listedIndices, k + 16);
        int count = k;
        if (!p->SkipZeroInputs)
        {
            for (int c = 0; c < k; c++) Unsafe.Add(ref list, c) = c;
        }
        for (int r0 = 0; r0 <= last; r0 += OutputLanesRows)
        {
            var rows = new TileRows(r0, last);
            ref float x0 = ref p->X[(nint)rows.R0 * k], x1 = ref p->X[(nint)rows.R1 * k];
            ref float x2 = ref p->X[(nint)rows.R2 * k], x3 = ref p->X[(nint)rows.R3 * k];
            if (p->SkipZeroInputs) count = ListNonzeroInAnyOf4(ref x0, ref x1, ref x2, ref x3, k, ref list);
            var tileRows = new TileInputs(ref x0, ref x1, ref x2, ref x3, ref list, count);
            int o = o0;
            for (; o + tile <= o1; o += tile) OutputLanesTile<TS, TVec>(p, tileRows, rows, o);
            for (; o + width <= o1; o += width) OutputLanesVector<TS, TVec>(p, tileRows, rows, o);
            if (o < o1) OutputLanesVector<TS, TVec>(p, tileRows, rows, n - width);
        }
    }

    /// <summary>The 4 rows of a tile from its first; past the last row of the batch it repeats that one.</summary>
    private readonly struct TileRows(int r0, int last)
    {
        public readonly int R0 = r0, R1 = Math.Min(r0 + 1, last), R2 = Math.Min(r0 + 2, last), R3 = Math.Min(r0 + 3, last);
    }

    /// <summary>A tile's 4 rows of x and the features it sums, in order.</summary>
    private readonly ref struct TileInputs(ref float x0, ref float x1, ref float x2, ref float x3, ref int list, int count)
    {
        public readonly ref float X0 = ref x0, X1 = ref x1, X2 = ref x2, X3 = ref x3;
        public readonly ref int List = ref list;
        public readonly int Count = count;
    }

    // The features (in order) where any of 4 rows holds a nonzero value, any bit set: −0 and NaN are kept, as the
    // batch tiles would use them. Written to list, which has room for k + 16 (a compressed vector may overrun);
    // returns how many. 16 features at a time where the processor has AVX-512, the rest one by one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ListNonzeroInAnyOf4(ref float x0, ref float x1, ref float x2, ref float x3, int k, ref int list)
    {
        int count = 0, c = 0;
        if (Avx512F.IsSupported)
        {
            for (; c + 16 <= k; c += 16)
            {
                Vector512<uint> any = Vector512.LoadUnsafe(ref x0, (nuint)c).AsUInt32() | Vector512.LoadUnsafe(ref x1, (nuint)c).AsUInt32()
                    | Vector512.LoadUnsafe(ref x2, (nuint)c).AsUInt32() | Vector512.LoadUnsafe(ref x3, (nuint)c).AsUInt32();
                Vector512<uint> nonzero = ~Vector512.Equals(any, Vector512<uint>.Zero);
                Avx512F.Compress(Vector512<int>.Zero, nonzero.AsInt32(), Vector512<int>.Indices + Vector512.Create(c)).StoreUnsafe(ref list, (nuint)count);
                count += System.Numerics.BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
            }
        }
        for (; c < k; c++)
        {
            uint any = Bits(ref x0, c) | Bits(ref x1, c) | Bits(ref x2, c) | Bits(ref x3, c);
            Unsafe.Add(ref list, count) = c;
            count += any != 0 ? 1 : 0;
        }
        return count;

        static uint Bits(ref float row, int c) => BitConverter.SingleToUInt32Bits(Unsafe.Add(ref row, c));
    }

    // y[r, o0 .. o0 + 4W) for the tile's 4 rows: from the bias, one FMA per listed feature, row by row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputLanesTile<TS, TVec>(OutputLanesProduct* p, TileInputs x, TileRows rows, int o0)
        where TS : ISimd<TVec> where TVec : struct
    {
        int n = p->Shape.N;
        nuint width = (nuint)TS.Count;
        TVec b0 = TS.Zero, b1 = b0, b2 = b0, b3 = b0;
        if (p->Bias != null)
        {
            ref float bias = ref p->Bias[o0];
            b0 = TS.Load(ref bias, 0); b1 = TS.Load(ref bias, width); b2 = TS.Load(ref bias, 2 * width); b3 = TS.Load(ref bias, 3 * width);
        }
        TVec a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        TVec a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        ref float wT = ref p->WT[o0];
        for (int i = 0; i < x.Count; i++)
        {
            nint c = Unsafe.Add(ref x.List, i);
            ref float wc = ref Unsafe.Add(ref wT, c * n);
            TVec w0 = TS.Load(ref wc, 0), w1 = TS.Load(ref wc, width), w2 = TS.Load(ref wc, 2 * width), w3 = TS.Load(ref wc, 3 * width);
            TVec s = TS.Create(Unsafe.Add(ref x.X0, c));
            a00 = TS.MultiplyAdd(w0, s, a00); a01 = TS.MultiplyAdd(w1, s, a01); a02 = TS.MultiplyAdd(w2, s, a02); a03 = TS.MultiplyAdd(w3, s, a03);
            s = TS.Create(Unsafe.Add(ref x.X1, c));
            a10 = TS.MultiplyAdd(w0, s, a10); a11 = TS.MultiplyAdd(w1, s, a11); a12 = TS.MultiplyAdd(w2, s, a12); a13 = TS.MultiplyAdd(w3, s, a13);
            s = TS.Create(Unsafe.Add(ref x.X2, c));
            a20 = TS.MultiplyAdd(w0, s, a20); a21 = TS.MultiplyAdd(w1, s, a21); a22 = TS.MultiplyAdd(w2, s, a22); a23 = TS.MultiplyAdd(w3, s, a23);
            s = TS.Create(Unsafe.Add(ref x.X3, c));
            a30 = TS.MultiplyAdd(w0, s, a30); a31 = TS.MultiplyAdd(w1, s, a31); a32 = TS.MultiplyAdd(w2, s, a32); a33 = TS.MultiplyAdd(w3, s, a33);
        }
        Store4<TS, TVec>(ref p->Y[(nint)rows.R0 * n], o0, a00, a01, a02, a03);
        Store4<TS, TVec>(ref p->Y[(nint)rows.R1 * n], o0, a10, a11, a12, a13);
        Store4<TS, TVec>(ref p->Y[(nint)rows.R2 * n], o0, a20, a21, a22, a23);
        Store4<TS, TVec>(ref p->Y[(nint)rows.R3 * n], o0, a30, a31, a32, a33);
    }

    // y[r, o0 .. o0 + W) for the tile's 4 rows: OutputLanesTile with one vector of outputs, for the outputs left over.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputLanesVector<TS, TVec>(OutputLanesProduct* p, TileInputs x, TileRows rows, int o0)
        where TS : ISimd<TVec> where TVec : struct
    {
        int n = p->Shape.N;
        TVec b = p->Bias != null ? TS.Load(ref p->Bias[o0], 0) : TS.Zero;
        TVec a0 = b, a1 = b, a2 = b, a3 = b;
        ref float wT = ref p->WT[o0];
        for (int i = 0; i < x.Count; i++)
        {
            nint c = Unsafe.Add(ref x.List, i);
            TVec w = TS.Load(ref Unsafe.Add(ref wT, c * n), 0);
            a0 = TS.MultiplyAdd(w, TS.Create(Unsafe.Add(ref x.X0, c)), a0);
            a1 = TS.MultiplyAdd(w, TS.Create(Unsafe.Add(ref x.X1, c)), a1);
            a2 = TS.MultiplyAdd(w, TS.Create(Unsafe.Add(ref x.X2, c)), a2);
            a3 = TS.MultiplyAdd(w, TS.Create(Unsafe.Add(ref x.X3, c)), a3);
        }
        TS.Store(a0, ref p->Y[(nint)rows.R0 * n], (nuint)o0);
        TS.Store(a1, ref p->Y[(nint)rows.R1 * n], (nuint)o0);
        TS.Store(a2, ref p->Y[(nint)rows.R2 * n], (nuint)o0);
        TS.Store(a3, ref p->Y[(nint)rows.R3 * n], (nuint)o0);
    }
}
