using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

// The three matrix products of a Linear layer, each behind its own public method so it can be tuned or swapped alone.
// All three vectorise along inFeatures (the contiguous dimension of x, w, dx and dw), so one width choice per call
// serves every tile, and a remainder is one overlapping last vector rather than a scalar loop. Register tiles hold 16
// accumulators (4 × 4 vectors): 8 loads feed 16 FMAs, and 16 independent chains hide the FMA latency. Nothing is
// packed or allocated: every operand is already laid out so the tiles read it with unit stride.
public static partial class Kernels
{
    /// <summary>
    /// y(rows, outFeatures) = x(rows, inFeatures) · wᵀ + bias, as <c>nn.Linear</c>; w is (outFeatures, inFeatures) as
    /// PyTorch stores it. <paramref name="bias"/> holds outFeatures values, or is empty for a layer without bias.
    /// </summary>
    /// <param name="y">Output (rows, outFeatures), overwritten.</param>
    /// <param name="x">Input (rows, inFeatures).</param>
    /// <param name="w">Weight (outFeatures, inFeatures).</param>
    /// <param name="bias">Bias (outFeatures), or empty.</param>
    /// <param name="rows">Number of valid rows.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="skipZeroInputs">
    /// Skip the input features that are zero in every row of a block of rows (for data such as images, where zeros
    /// are common): blocks of 4 rows with 512-bit vectors and sizes that fit (at least 32 rows, inFeatures a multiple
    /// of 16, outFeatures of 64), else of up to 64 rows. The result is the same as without: a zero input adds nothing
    /// to a sum. Only a NaN or infinite weight facing a zero input differs, giving 0 instead of NaN. Worth it when a
    /// good share of the features are zero across a block; on dense inputs the search for zeros costs a few percent.
    /// </param>
    public static void LinearForward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int rows, int inFeatures, int outFeatures,
        bool skipZeroInputs = false)
    {
        CheckNonNegative(rows);
        CheckNonNegative(inFeatures);
        CheckNonNegative(outFeatures);
        CheckLength(y, (long)rows * outFeatures);
        CheckLength(x, (long)rows * inFeatures);
        CheckLength(w, (long)outFeatures * inFeatures);
        if (!bias.IsEmpty) CheckLength(bias, outFeatures);
        if (rows == 0 || outFeatures == 0) return;

        var shape = new Shape(rows, inFeatures, outFeatures);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ws = ref MemoryMarshal.GetReference(w);
        switch (Widths.For(inFeatures))
        {
            case VectorWidth.V512: ForwardTiles<Simd512, Vector512<float>>(ref ys, ref xs, ref ws, bias, shape, skipZeroInputs); break;
            case VectorWidth.V256: ForwardTiles<Simd256, Vector256<float>>(ref ys, ref xs, ref ws, bias, shape, skipZeroInputs); break;
            case VectorWidth.V128: ForwardTiles<Simd128, Vector128<float>>(ref ys, ref xs, ref ws, bias, shape, skipZeroInputs); break;
            default: ForwardTiles<Simd1, float>(ref ys, ref xs, ref ws, bias, shape, skipZeroInputs); break;
        }
    }

    /// <summary>dx(rows, inFeatures) = dy(rows, outFeatures) · w(outFeatures, inFeatures). Overwrites dx.</summary>
    /// <param name="dx">Gradient of the input (rows, inFeatures), overwritten.</param>
    /// <param name="dy">Gradient of the output (rows, outFeatures).</param>
    /// <param name="w">Weight (outFeatures, inFeatures).</param>
    /// <param name="rows">Number of valid rows.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    public static void LinearBackwardInput(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, int rows, int inFeatures, int outFeatures)
    {
        CheckInputGradient(dx, dy, w, rows, inFeatures, outFeatures);
        InputGradient(dx, dy, w, rows, inFeatures, outFeatures, ref Unsafe.NullRef<double>());
    }

    /// <summary>
    /// dx(rows, inFeatures) = (dy(rows, outFeatures) · w(outFeatures, inFeatures)) ⊙ gelu′: the gradient of a GELU's
    /// input when this Linear reads the GELU's output, with gelu′ as
    /// <see cref="GeluForward(Span{float}, Span{double}, ReadOnlySpan{float})"/> saved it. Bit for bit
    /// <see cref="LinearBackwardInput"/> and then <see cref="GeluBackward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{double})"/>
    /// in place: each value of dy·w is rounded to float, then multiplied by gelu′ in double and rounded once. From 8
    /// rows and 32 outputs the product multiplies as it stores dx, which spares the GELU backward's pass over dx and its
    /// parallel region; other shapes make that pass after the product. Overwrites dx.
    /// </summary>
    /// <param name="dx">Gradient of the GELU's input (rows, inFeatures), overwritten.</param>
    /// <param name="dy">Gradient of this Linear's output (rows, outFeatures).</param>
    /// <param name="w">Weight (outFeatures, inFeatures).</param>
    /// <param name="geluDerivative">gelu′ at the GELU's input, (rows, inFeatures) doubles.</param>
    /// <param name="rows">Number of valid rows.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    public static void LinearBackwardInputThroughGelu(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, ReadOnlySpan<double> geluDerivative, int rows, int inFeatures, int outFeatures)
    {
        CheckInputGradient(dx, dy, w, rows, inFeatures, outFeatures);
        CheckLength(geluDerivative, (long)rows * inFeatures);
        InputGradient(dx, dy, w, rows, inFeatures, outFeatures, ref MemoryMarshal.GetReference(geluDerivative));
    }

    private static void CheckInputGradient(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, int rows, int inFeatures, int outFeatures)
    {
        CheckNonNegative(rows);
        CheckNonNegative(inFeatures);
        CheckNonNegative(outFeatures);
        CheckLength(dx, (long)rows * inFeatures);
        CheckLength(dy, (long)rows * outFeatures);
        CheckLength(w, (long)outFeatures * inFeatures);
    }

    // dx = dy · w, each value then multiplied by its scale in double unless scale is a null reference.
    private static void InputGradient(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, int rows, int inFeatures, int outFeatures, ref double scale)
    {
        if (rows == 0 || inFeatures == 0) return;

        var shape = new Shape(rows, inFeatures, outFeatures);
        ref float dxs = ref MemoryMarshal.GetReference(dx);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float ws = ref MemoryMarshal.GetReference(w);
        bool scaled = false;
        switch (Widths.For(inFeatures))
        {
            case VectorWidth.V512: scaled = InputGradientTiles<Simd512, Vector512<float>>(ref dxs, ref dys, ref ws, shape, ref scale); break;
            case VectorWidth.V256: scaled = InputGradientTiles<Simd256, Vector256<float>>(ref dxs, ref dys, ref ws, shape, ref scale); break;
            case VectorWidth.V128: scaled = InputGradientTiles<Simd128, Vector128<float>>(ref dxs, ref dys, ref ws, shape, ref scale); break;
            default: scaled = InputGradientTiles<Simd1, float>(ref dxs, ref dys, ref ws, shape, ref scale); break;
        }
        if (!scaled && !Unsafe.IsNullRef(ref scale))
        {
            var product = dx[..(rows * inFeatures)];
            MultiplyInDoubleInParallel(product, product, MemoryMarshal.CreateReadOnlySpan(ref scale, rows * inFeatures));
        }
    }

    /// <summary>dw(outFeatures, inFeatures) += dy(rows, outFeatures)ᵀ · x(rows, inFeatures). Accumulates, or overwrites with <paramref name="accumulate"/> false.</summary>
    /// <param name="dw">Gradient of the weight (outFeatures, inFeatures), added into (or overwritten).</param>
    /// <param name="dy">Gradient of the output (rows, outFeatures).</param>
    /// <param name="x">The forward input (rows, inFeatures).</param>
    /// <param name="rows">Number of valid rows.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="skipZeroInputs">
    /// Skip the zeros of x (for data such as images), as <see cref="LinearForward"/> does: with 512-bit vectors and
    /// sizes that fit (rows a multiple of 16, inFeatures of 16, outFeatures of 128) each nonzero value on its own,
    /// otherwise the rows that are zero across a block of columns. The result is the same (a NaN or infinite dy facing
    /// a zero input gives 0 instead of NaN).
    /// </param>
    /// <param name="accumulate">
    /// Add into dw (the default, as autograd accumulates <c>.grad</c>), or write over it: the values of adding into
    /// zeros, bit for bit, without reading dw or needing it zeroed first.
    /// </param>
    /// <param name="dbias">
    /// The bias's gradient (outFeatures), or empty (the default) for none. When given, it gets what
    /// <see cref="LinearBackwardBias"/> would give it, bit for bit (added into or overwritten as dw is), computed in
    /// the same parallel region as dw: each thread sums its share of dy's columns after its share of dw.
    /// </param>
    public static void LinearBackwardWeight(Span<float> dw, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rows, int inFeatures, int outFeatures,
        bool skipZeroInputs = false, bool accumulate = true, Span<float> dbias = default)
    {
        CheckNonNegative(rows);
        CheckNonNegative(inFeatures);
        CheckNonNegative(outFeatures);
        CheckLength(dw, (long)outFeatures * inFeatures);
        CheckLength(dy, (long)rows * outFeatures);
        CheckLength(x, (long)rows * inFeatures);
        if (!dbias.IsEmpty) CheckLength(dbias, outFeatures);
        if (inFeatures == 0 || outFeatures == 0 || rows == 0)
        {
            if (!accumulate) dw[..(outFeatures * inFeatures)].Clear();
            if (!dbias.IsEmpty) LinearBackwardBias(dbias, dy, rows, outFeatures, accumulate);
            return;
        }

        var shape = new Shape(rows, inFeatures, outFeatures);
        ref float dws = ref MemoryMarshal.GetReference(dw);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float dbs = ref MemoryMarshal.GetReference(dbias);
        switch (Widths.For(inFeatures))
        {
            case VectorWidth.V512: WeightGradientTiles<Simd512, Vector512<float>>(ref dws, ref dbs, ref dys, ref xs, shape, skipZeroInputs, accumulate); break;
            case VectorWidth.V256: WeightGradientTiles<Simd256, Vector256<float>>(ref dws, ref dbs, ref dys, ref xs, shape, skipZeroInputs, accumulate); break;
            case VectorWidth.V128: WeightGradientTiles<Simd128, Vector128<float>>(ref dws, ref dbs, ref dys, ref xs, shape, skipZeroInputs, accumulate); break;
            default: WeightGradientTiles<Simd1, float>(ref dws, ref dbs, ref dys, ref xs, shape, skipZeroInputs, accumulate); break;
        }
    }

    /// <summary>dbias(outFeatures) += Σ over rows of dy(rows, outFeatures). Accumulates, or overwrites with <paramref name="accumulate"/> false.</summary>
    /// <param name="dbias">Gradient of the bias (outFeatures), added into (or overwritten).</param>
    /// <param name="dy">Gradient of the output (rows, outFeatures).</param>
    /// <param name="rows">Number of valid rows.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="accumulate">Add into dbias (the default), or write over it with the values of adding into zeros.</param>
    /// <remarks>Each value is dbias[o] + dy[0, o] + dy[1, o] + …, added in row order, in float.</remarks>
    public static void LinearBackwardBias(Span<float> dbias, ReadOnlySpan<float> dy, int rows, int outFeatures, bool accumulate = true)
    {
        CheckNonNegative(rows);
        CheckNonNegative(outFeatures);
        CheckLength(dbias, outFeatures);
        CheckLength(dy, (long)rows * outFeatures);
        BiasGradient(ref MemoryMarshal.GetReference(dbias), ref MemoryMarshal.GetReference(dy), rows, outFeatures, 0, outFeatures, accumulate);
    }

    // dbias[c0 .. c1) (+)= Σ over rows of dy[r, c0 .. c1), dy's rows n apart: LinearBackwardBias on those columns, the
    // same bits whichever columns a call takes (each column is summed on its own, row by row).
    private static void BiasGradient(ref float dbias, ref float dy, int rows, int n, int c0, int c1, bool accumulate)
    {
        int columns = c1 - c0;
        if (columns <= 0) return;
        ref float db = ref Unsafe.Add(ref dbias, c0);
        ref float dys = ref Unsafe.Add(ref dy, c0);
        if (!accumulate) MemoryMarshal.CreateSpan(ref db, columns).Clear();
        if (rows == 0) return;
        switch (Widths.For(columns))
        {
            case VectorWidth.V512: ColumnSums<Simd512, Vector512<float>>(ref db, ref dys, rows, columns, n); break;
            case VectorWidth.V256: ColumnSums<Simd256, Vector256<float>>(ref db, ref dys, rows, columns, n); break;
            case VectorWidth.V128: ColumnSums<Simd128, Vector128<float>>(ref db, ref dys, rows, columns, n); break;
            default: ColumnSums<Simd1, float>(ref db, ref dys, rows, columns, n); break;
        }
    }

    // The bias gradient for a product part covering units [begin, end) of `units`: its share of dy's n columns, whole
    // groups of 16 in proportion with the rest to the last part, so the shares tile [0, n) whatever parts the threads
    // take.
    private static void BiasGradientShare(ref float dbias, ref float dy, int rows, int n, int begin, int end, int units, bool accumulate)
    {
        BiasGradient(ref dbias, ref dy, rows, n, Start(begin), Start(end), accumulate);

        int Start(int unit) => unit >= units ? n : (int)((long)unit * ((n + 15) / 16) / units) * 16;
    }

    // sums[c] += Σ over rows of m[r, c] for c in [0, n), m's rows `stride` apart, row by row: each lane adds its column
    // down the rows in registers, 4 vectors at a time, so every sum sees the same additions in the same order as adding
    // whole rows into sums one by one. The last n mod W columns go through one overlapping vector that keeps the lanes
    // already summed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSums<TS, TVec>(ref float sums, ref float m, int rows, int n, int stride)
        where TS : ISimd<TVec> where TVec : struct
    {
        nuint width = (nuint)TS.Count, columns = (nuint)n, c = 0;
        for (; c + 4 * width <= columns; c += 4 * width)
        {
            ref float s = ref Unsafe.Add(ref sums, c);
            TVec a0 = TS.Load(ref s, 0), a1 = TS.Load(ref s, width), a2 = TS.Load(ref s, 2 * width), a3 = TS.Load(ref s, 3 * width);
            for (int r = 0; r < rows; r++)
            {
                ref float row = ref Unsafe.Add(ref Row(ref m, r, stride), c);
                a0 = TS.Add(a0, TS.Load(ref row, 0));
                a1 = TS.Add(a1, TS.Load(ref row, width));
                a2 = TS.Add(a2, TS.Load(ref row, 2 * width));
                a3 = TS.Add(a3, TS.Load(ref row, 3 * width));
            }
            TS.Store(a0, ref s, 0); TS.Store(a1, ref s, width); TS.Store(a2, ref s, 2 * width); TS.Store(a3, ref s, 3 * width);
        }
        for (; c + width <= columns; c += width)
            TS.Store(ColumnSum<TS, TVec>(ref sums, ref m, rows, stride, c), ref sums, c);
        if (c < columns)
        {
            nuint last = columns - width;
            TVec fresh = TS.LanesFrom((int)(c - last));
            TS.Store(TS.Select(fresh, ColumnSum<TS, TVec>(ref sums, ref m, rows, stride, last), TS.Load(ref sums, last)), ref sums, last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ColumnSum<TS, TVec>(ref float sums, ref float m, int rows, int n, nuint c)
        where TS : ISimd<TVec> where TVec : struct
    {
        TVec a = TS.Load(ref sums, c);
        for (int r = 0; r < rows; r++) a = TS.Add(a, TS.Load(ref Row(ref m, r, n), c));
        return a;
    }

    /// <summary>The sizes of one product: rows × inFeatures (K, the contiguous one) × outFeatures (N).</summary>
    private readonly record struct Shape(int Rows, int K, int N);

    // ---- y = x · wᵀ ----

    // Fewer rows than one vector (batch-1 inference above all): tiles of 4 rows × 4 outputs, each output a dot product along K held in one vector accumulator and summed across
    // lanes at the end. Outputs are the outer loop, so a tile's 4 weight rows stay in L1 while every row of x streams
    // past (the weight is the large operand and is read from memory once). A partial tile repeats its last row or
    // output: the repeat computes the same value and stores it over itself. Rows left over (rows mod 4) go one at a
    // time through a 1 × 4 tile, so a one-row call (inference) does no repeated work.
    private static unsafe void ForwardTiles<TS, TVec>(ref float y, ref float x, ref float w, ReadOnlySpan<float> bias, Shape shape, bool skipZeroInputs)
        where TS : ISimd<TVec> where TVec : struct
    {
        if (skipZeroInputs && typeof(TS) == typeof(Simd512) && SparseForwardFits(shape))
        {
            SparseForward(ref y, ref x, ref w, bias, shape);
            return;
        }
        if (shape.Rows >= TS.Count)
        {
            ForwardBatch<TS, TVec>(ref y, ref x, ref w, bias, shape, skipZeroInputs);
            return;
        }
        // Threads split the groups of 4 outputs: with one row the weights dominate, and each thread then streams its
        // own part of them (through its own core's caches). A split needs about 64 K multiply-adds per thread to pay.
        // With skipZeroInputs, the rows left over from the 4-row tiles list their nonzero vectors here, once, for every
        // thread to read.
        int tiledRows = shape.Rows - shape.Rows % 4, vectors = shape.K / TS.Count;
        ref int lists = ref Scratch(ref t_listedIndices, skipZeroInputs ? (shape.Rows - tiledRows) * vectors : 0);
        fixed (float* py = &y, px = &x, pw = &w, pBias = bias)
        fixed (int* pLists = &lists)
        {
            var product = new BatchProduct
            {
                Y = py, X = px, W = pw, Bias = pBias, Batch = new BatchShape(shape.Rows, shape.K, shape.N), SkipZeroInputs = skipZeroInputs,
                NonzeroVectors = pLists,
            };
            for (int r = tiledRows; r < shape.Rows && skipZeroInputs; r++)
                product.NonzeroVectorCounts[r - tiledRows] = ListNonzeroVectors<TS, TVec>(ref Row(ref x, r, shape.K), vectors, ref pLists[(r - tiledRows) * vectors]);
            int groups = (shape.N + 3) / 4;
            int groupsPerThread = Math.Max(1, 65536 / Math.Max(1, shape.Rows * shape.K * 4));
            KernelThreads.For(groups, &product, &DotTilesPart<TS, TVec>, minimumPerThread: groupsPerThread);
        }
    }

    // Outputs [4·begin, 4·end), every row. With SkipZeroInputs, the dot products of each row left over from the 4-row
    // tiles add only the vectors its list gives, those that hold a nonzero value: a vector of zeros adds ±0 to each sum
    // (an MNIST digit is zero in 41% of its 16-pixel vectors, and skipping them skips those loads of the weights).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotTilesPart<TS, TVec>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        var p = (BatchProduct*)state;
        int rows = p->Batch.Rows, k = p->Batch.Inner, n = p->Batch.Outputs;
        var bias = new ReadOnlySpan<float>(p->Bias, p->Bias == null ? 0 : n);
        ref float y = ref *p->Y, x = ref *p->X, w = ref *p->W;
        int tiledRows = rows - rows % 4, vectors = k / TS.Count;
        for (int o0 = 4 * begin; o0 < Math.Min(4 * end, n); o0 += 4)
        {
            int o1 = Math.Min(o0 + 1, n - 1), o2 = Math.Min(o0 + 2, n - 1), o3 = Math.Min(o0 + 3, n - 1);
            float b0 = 0, b1 = 0, b2 = 0, b3 = 0;
            if (!bias.IsEmpty) (b0, b1, b2, b3) = (bias[o0], bias[o1], bias[o2], bias[o3]);
            int r0 = 0;
            for (; r0 + 4 <= rows; r0 += 4)
            {
                DotTile<TS, TVec>(ref x, ref w, k, r0, r0 + 1, r0 + 2, r0 + 3, o0, o1, o2, o3, out Tile4x4 t);
                Put(ref y, n, r0, o0, o1, o2, o3, t.S00 + b0, t.S01 + b1, t.S02 + b2, t.S03 + b3);
                Put(ref y, n, r0 + 1, o0, o1, o2, o3, t.S10 + b0, t.S11 + b1, t.S12 + b2, t.S13 + b3);
                Put(ref y, n, r0 + 2, o0, o1, o2, o3, t.S20 + b0, t.S21 + b1, t.S22 + b2, t.S23 + b3);
                Put(ref y, n, r0 + 3, o0, o1, o2, o3, t.S30 + b0, t.S31 + b1, t.S32 + b2, t.S33 + b3);
            }
            // The last rows mod 4 (all of them for a single-row call) one at a time: no repeated work.
            for (; r0 < rows; r0++)
            {
                float s0, s1, s2, s3;
                if (p->SkipZeroInputs)
                {
                    var nonzero = new ListedIndices(ref p->NonzeroVectors[(r0 - tiledRows) * vectors], p->NonzeroVectorCounts[r0 - tiledRows]);
                    DotRow<TS, TVec, ListedIndices>(ref x, ref w, k, r0, nonzero, o0, o1, o2, o3, out s0, out s1, out s2, out s3);
                }
                else
                {
                    DotRow<TS, TVec, Sequence>(ref x, ref w, k, r0, new Sequence(vectors), o0, o1, o2, o3, out s0, out s1, out s2, out s3);
                }
                Put(ref y, n, r0, o0, o1, o2, o3, s0 + b0, s1 + b1, s2 + b2, s3 + b3);
            }
        }
    }

    // Writes the indices of the whole vectors of a row that hold a nonzero value, in order; returns how many.
    private static int ListNonzeroVectors<TS, TVec>(ref float row, int vectors, ref int list)
        where TS : ISimd<TVec> where TVec : struct
    {
        int listed = 0;
        for (int v = 0; v < vectors; v++)
        {
            if (!TS.IsZero(TS.Load(ref row, (nuint)(v * TS.Count)))) Unsafe.Add(ref list, listed++) = v;
        }
        return listed;
    }

    /// <summary>The indices a loop visits, in order: every one below a count, or those in a list.</summary>
    private interface IIndices
    {
        int Count { get; }

        int this[int i] { get; }
    }

    /// <summary>0, 1, …, count − 1.</summary>
    private readonly struct Sequence(int count) : IIndices
    {
        public int Count => count;

        public int this[int i]
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => i;
        }
    }

    /// <summary>The indices in a list (those of the rows or vectors with a nonzero value).</summary>
    private readonly ref struct ListedIndices(ref int list, int count) : IIndices
    {
        private readonly ref int _list = ref list;

        public int Count => count;

        public int this[int i]
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => Unsafe.Add(ref _list, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Row(ref float matrix, int row, int stride) => ref Unsafe.Add(ref matrix, (nint)row * stride);

    // destination (rows × width, contiguous) = columns [column, column + width) of source (rows, `stride` apart).
    private static void CopyColumns(ref float destination, ref float source, int rows, int stride, int column, int width)
    {
        for (int r = 0; r < rows; r++)
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref Row(ref destination, r, width)),
                ref Unsafe.As<float, byte>(ref Unsafe.Add(ref Row(ref source, r, stride), column)), (uint)(width * sizeof(float)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref float y, int n, int r, int o0, int o1, int o2, int o3, float v0, float v1, float v2, float v3)
    {
        ref float row = ref Row(ref y, r, n);
        Unsafe.Add(ref row, o0) = v0;
        Unsafe.Add(ref row, o1) = v1;
        Unsafe.Add(ref row, o2) = v2;
        Unsafe.Add(ref row, o3) = v3;
    }

    /// <summary>16 sums of one 4 × 4 tile: S{row}{output}.</summary>
    private struct Tile4x4
    {
        public float S00, S01, S02, S03, S10, S11, S12, S13, S20, S21, S22, S23, S30, S31, S32, S33;
    }

    // Dot products of x rows r0..r3 with w rows o0..o3 along K. K ≥ one vector (the width was chosen so); the last
    // K mod W values are one overlapping vector whose lanes already summed are zeroed in both operands.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile<TS, TVec>(ref float x, ref float w, int k, int r0, int r1, int r2, int r3, int o0, int o1, int o2, int o3, out Tile4x4 t)
        where TS : ISimd<TVec> where TVec : struct
    {
        ref float x0 = ref Row(ref x, r0, k), x1 = ref Row(ref x, r1, k), x2 = ref Row(ref x, r2, k), x3 = ref Row(ref x, r3, k);
        ref float w0 = ref Row(ref w, o0, k), w1 = ref Row(ref w, o1, k), w2 = ref Row(ref w, o2, k), w3 = ref Row(ref w, o3, k);
        TVec a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero;
        TVec a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero;
        TVec a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero;
        TVec a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero;
        nuint width = (nuint)TS.Count, end = (nuint)k, i = 0;
        for (; i + width <= end; i += width)
        {
            TVec u0 = TS.Load(ref x0, i), u1 = TS.Load(ref x1, i), u2 = TS.Load(ref x2, i), u3 = TS.Load(ref x3, i);
            TVec v = TS.Load(ref w0, i);
            a00 = TS.MultiplyAdd(u0, v, a00); a10 = TS.MultiplyAdd(u1, v, a10); a20 = TS.MultiplyAdd(u2, v, a20); a30 = TS.MultiplyAdd(u3, v, a30);
            v = TS.Load(ref w1, i);
            a01 = TS.MultiplyAdd(u0, v, a01); a11 = TS.MultiplyAdd(u1, v, a11); a21 = TS.MultiplyAdd(u2, v, a21); a31 = TS.MultiplyAdd(u3, v, a31);
            v = TS.Load(ref w2, i);
            a02 = TS.MultiplyAdd(u0, v, a02); a12 = TS.MultiplyAdd(u1, v, a12); a22 = TS.MultiplyAdd(u2, v, a22); a32 = TS.MultiplyAdd(u3, v, a32);
            v = TS.Load(ref w3, i);
            a03 = TS.MultiplyAdd(u0, v, a03); a13 = TS.MultiplyAdd(u1, v, a13); a23 = TS.MultiplyAdd(u2, v, a23); a33 = TS.MultiplyAdd(u3, v, a33);
        }
        if (i < end)
        {
            nuint last = end - width;
            TVec fresh = TS.LanesFrom((int)(i - last)), zero = TS.Zero;
            TVec u0 = TS.Select(fresh, TS.Load(ref x0, last), zero), u1 = TS.Select(fresh, TS.Load(ref x1, last), zero);
            TVec u2 = TS.Select(fresh, TS.Load(ref x2, last), zero), u3 = TS.Select(fresh, TS.Load(ref x3, last), zero);
            TVec v = TS.Select(fresh, TS.Load(ref w0, last), zero);
            a00 = TS.MultiplyAdd(u0, v, a00); a10 = TS.MultiplyAdd(u1, v, a10); a20 = TS.MultiplyAdd(u2, v, a20); a30 = TS.MultiplyAdd(u3, v, a30);
            v = TS.Select(fresh, TS.Load(ref w1, last), zero);
            a01 = TS.MultiplyAdd(u0, v, a01); a11 = TS.MultiplyAdd(u1, v, a11); a21 = TS.MultiplyAdd(u2, v, a21); a31 = TS.MultiplyAdd(u3, v, a31);
            v = TS.Select(fresh, TS.Load(ref w2, last), zero);
            a02 = TS.MultiplyAdd(u0, v, a02); a12 = TS.MultiplyAdd(u1, v, a12); a22 = TS.MultiplyAdd(u2, v, a22); a32 = TS.MultiplyAdd(u3, v, a32);
            v = TS.Select(fresh, TS.Load(ref w3, last), zero);
            a03 = TS.MultiplyAdd(u0, v, a03); a13 = TS.MultiplyAdd(u1, v, a13); a23 = TS.MultiplyAdd(u2, v, a23); a33 = TS.MultiplyAdd(u3, v, a33);
        }
        t.S00 = TS.Sum(a00); t.S01 = TS.Sum(a01); t.S02 = TS.Sum(a02); t.S03 = TS.Sum(a03);
        t.S10 = TS.Sum(a10); t.S11 = TS.Sum(a11); t.S12 = TS.Sum(a12); t.S13 = TS.Sum(a13);
        t.S20 = TS.Sum(a20); t.S21 = TS.Sum(a21); t.S22 = TS.Sum(a22); t.S23 = TS.Sum(a23);
        t.S30 = TS.Sum(a30); t.S31 = TS.Sum(a31); t.S32 = TS.Sum(a32); t.S33 = TS.Sum(a33);
    }

    // Dot products of x row r with w rows o0..o3: the 1 × 4 form of DotTile, for leftover rows. It adds the whole
    // vectors given by index (all of them, or those with a nonzero value), then the overlapping last one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRow<TS, TVec, TVectors>(ref float x, ref float w, int k, int r, TVectors vectors, int o0, int o1, int o2, int o3,
        out float s0, out float s1, out float s2, out float s3)
        where TS : ISimd<TVec> where TVec : struct where TVectors : IIndices, allows ref struct
    {
        ref float xr = ref Row(ref x, r, k);
        ref float w0 = ref Row(ref w, o0, k), w1 = ref Row(ref w, o1, k), w2 = ref Row(ref w, o2, k), w3 = ref Row(ref w, o3, k);
        TVec a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
        nuint width = (nuint)TS.Count, end = (nuint)k, i = end / width * width;
        for (int j = 0; j < vectors.Count; j++)
        {
            nuint at = (nuint)vectors[j] * width;
            TVec u = TS.Load(ref xr, at);
            a0 = TS.MultiplyAdd(u, TS.Load(ref w0, at), a0);
            a1 = TS.MultiplyAdd(u, TS.Load(ref w1, at), a1);
            a2 = TS.MultiplyAdd(u, TS.Load(ref w2, at), a2);
            a3 = TS.MultiplyAdd(u, TS.Load(ref w3, at), a3);
        }
        if (i < end)
        {
            nuint last = end - width;
            TVec fresh = TS.LanesFrom((int)(i - last)), zero = TS.Zero;
            TVec u = TS.Select(fresh, TS.Load(ref xr, last), zero);
            a0 = TS.MultiplyAdd(u, TS.Select(fresh, TS.Load(ref w0, last), zero), a0);
            a1 = TS.MultiplyAdd(u, TS.Select(fresh, TS.Load(ref w1, last), zero), a1);
            a2 = TS.MultiplyAdd(u, TS.Select(fresh, TS.Load(ref w2, last), zero), a2);
            a3 = TS.MultiplyAdd(u, TS.Select(fresh, TS.Load(ref w3, last), zero), a3);
        }
        (s0, s1, s2, s3) = (TS.Sum(a0), TS.Sum(a1), TS.Sum(a2), TS.Sum(a3));
    }

    // ---- dx = dy · w ----

    // Every path sums dx[r, c] = Σ_o dy[r, o] · w[o, c] from zero in the order of o, one FMA a term, so they agree bit
    // for bit. From 8 rows: groups of 8 rows, tiles of 8 rows × 2 vectors of dx. For each output feature o, dy[r, o] of
    // each row is broadcast against 2 vectors of w's row o: an outer-product update, with no lane sums and no
    // transposes; 16 accumulators, and 2 loads and 8 broadcasts feed 16 FMAs. A strip of w 2 vectors wide (32 KB at
    // 256 outputs with 512-bit vectors) is the outer loop, so it stays in L1 while every group of the thread's rows
    // uses it. Then single vectors, then, when K is not a multiple of the width, one last vector that overlaps the one
    // before it (recomputed to the same values by the same thread). A last group of fewer than 8 rows repeats its last
    // row (the same values stored twice). Threads split the groups, so each writes whole rows, as the row-wise kernels
    // on either side split them. At 64 × 256 × 256 (a hidden layer of the MNIST model) this took 34.3 µs against 36.8
    // for the batch form, which transposed dy and dx through scratch (a Stopwatch loop, one thread; 17.0 against 18.4
    // at 32 rows, 8.3 against 15.2 at 16). With `scale`, each value is multiplied by its scale in double as it is
    // stored. Fewer than 8 rows (a batch of one) or fewer than 32 outputs (a classification head, where the groups'
    // short loops cost more than they save): tiles of 4 rows × 4 vectors, threads splitting the column units (the last,
    // overlapping vector may run on another thread than the one before it; both store the same values in the lanes they
    // share), and the scale in a pass of its own. Returns whether it multiplied dx by `scale`.
    private static unsafe bool InputGradientTiles<TS, TVec>(ref float dx, ref float dy, ref float w, Shape shape, ref double scale)
        where TS : ISimd<TVec> where TVec : struct
    {
        fixed (float* pdx = &dx, pdy = &dy, pw = &w)
        fixed (double* pScale = &scale)
        {
            if (shape.Rows >= InputGradientGroupRows && shape.N >= 32)
            {
                int groups = (shape.Rows + InputGradientGroupRows - 1) / InputGradientGroupRows;
                long perGroup = (long)InputGradientGroupRows * shape.K * shape.N;
                var grouped = new GradientProduct { Out = pdx, Dy = pdy, Other = pw, Scale = pScale, Shape = shape };
                KernelThreads.For(groups, &grouped, &InputGradientGroupsPart<TS, TVec>, minimumPerThread: (int)Math.Clamp(65536 / perGroup, 1, groups));
                return true;
            }
            var units = new ColumnUnits(shape.K, TS.Count);
            var product = new GradientProduct { Out = pdx, Dy = pdy, Other = pw, Shape = shape, Units = units };
            KernelThreads.For(units.Count, &product, &InputGradientPart<TS, TVec>, minimumPerThread: 2);
        }
        return false;
    }

    private const int InputGradientGroupRows = 8;

    // The row groups [begin, end) of dx, every column: the strips of 2 vectors, then single vectors, then the
    // overlapping last vector.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void InputGradientGroupsPart<TS, TVec>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        var p = (GradientProduct*)state;
        int k = p->Shape.K, width = TS.Count, c = 0;
        for (; c + 2 * width <= k; c += 2 * width)
        {
            for (int g = begin; g < end; g++) InputGradientTile8x2<TS, TVec>(p, g * InputGradientGroupRows, c);
        }
        for (; c + width <= k; c += width)
        {
            for (int g = begin; g < end; g++) InputGradientTile8x1<TS, TVec>(p, g * InputGradientGroupRows, c);
        }
        if (c < k)
        {
            for (int g = begin; g < end; g++) InputGradientTile8x1<TS, TVec>(p, g * InputGradientGroupRows, k - width);
        }
    }

    /// <summary>
    /// The 8 rows of a group from its first (past the batch's last row it repeats that one), and where each row of dy
    /// starts. A tile binds the rows of dy to locals before its loop, so that they stay in registers.
    /// </summary>
    private readonly unsafe ref struct GroupRows
    {
        public readonly int R0, R1, R2, R3, R4, R5, R6, R7;
        public readonly ref float Dy0, Dy1, Dy2, Dy3, Dy4, Dy5, Dy6, Dy7;

        public GroupRows(GradientProduct* p, int r0)
        {
            int last = p->Shape.Rows - 1, n = p->Shape.N;
            (R0, R1, R2, R3) = (r0, Math.Min(r0 + 1, last), Math.Min(r0 + 2, last), Math.Min(r0 + 3, last));
            (R4, R5, R6, R7) = (Math.Min(r0 + 4, last), Math.Min(r0 + 5, last), Math.Min(r0 + 6, last), Math.Min(r0 + 7, last));
            ref float dy = ref *p->Dy;
            Dy0 = ref Row(ref dy, R0, n); Dy1 = ref Row(ref dy, R1, n); Dy2 = ref Row(ref dy, R2, n); Dy3 = ref Row(ref dy, R3, n);
            Dy4 = ref Row(ref dy, R4, n); Dy5 = ref Row(ref dy, R5, n); Dy6 = ref Row(ref dy, R6, n); Dy7 = ref Row(ref dy, R7, n);
        }
    }

    // dx[r, c .. c + 2W) for the group's 8 rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputGradientTile8x2<TS, TVec>(GradientProduct* p, int r0, int c)
        where TS : ISimd<TVec> where TVec : struct
    {
        int k = p->Shape.K, n = p->Shape.N;
        var rows = new GroupRows(p, r0);
        ref float g0 = ref rows.Dy0, g1 = ref rows.Dy1, g2 = ref rows.Dy2, g3 = ref rows.Dy3, g4 = ref rows.Dy4, g5 = ref rows.Dy5, g6 = ref rows.Dy6, g7 = ref rows.Dy7;
        ref float wc = ref p->Other[c];
        nuint v1 = (nuint)TS.Count;
        TVec a00 = TS.Zero, a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        TVec a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (nuint o = 0; o < (nuint)n; o++)
        {
            ref float wr = ref Unsafe.Add(ref wc, (nint)o * k);
            TVec m0 = TS.Load(ref wr, 0), m1 = TS.Load(ref wr, v1);
            TVec s = TS.Create(Unsafe.Add(ref g0, o));
            a00 = TS.MultiplyAdd(s, m0, a00); a01 = TS.MultiplyAdd(s, m1, a01);
            s = TS.Create(Unsafe.Add(ref g1, o));
            a10 = TS.MultiplyAdd(s, m0, a10); a11 = TS.MultiplyAdd(s, m1, a11);
            s = TS.Create(Unsafe.Add(ref g2, o));
            a20 = TS.MultiplyAdd(s, m0, a20); a21 = TS.MultiplyAdd(s, m1, a21);
            s = TS.Create(Unsafe.Add(ref g3, o));
            a30 = TS.MultiplyAdd(s, m0, a30); a31 = TS.MultiplyAdd(s, m1, a31);
            s = TS.Create(Unsafe.Add(ref g4, o));
            a40 = TS.MultiplyAdd(s, m0, a40); a41 = TS.MultiplyAdd(s, m1, a41);
            s = TS.Create(Unsafe.Add(ref g5, o));
            a50 = TS.MultiplyAdd(s, m0, a50); a51 = TS.MultiplyAdd(s, m1, a51);
            s = TS.Create(Unsafe.Add(ref g6, o));
            a60 = TS.MultiplyAdd(s, m0, a60); a61 = TS.MultiplyAdd(s, m1, a61);
            s = TS.Create(Unsafe.Add(ref g7, o));
            a70 = TS.MultiplyAdd(s, m0, a70); a71 = TS.MultiplyAdd(s, m1, a71);
        }
        int c1 = c + TS.Count;
        StoreInputGradient<TS, TVec>(p, rows.R0, c, a00); StoreInputGradient<TS, TVec>(p, rows.R0, c1, a01);
        StoreInputGradient<TS, TVec>(p, rows.R1, c, a10); StoreInputGradient<TS, TVec>(p, rows.R1, c1, a11);
        StoreInputGradient<TS, TVec>(p, rows.R2, c, a20); StoreInputGradient<TS, TVec>(p, rows.R2, c1, a21);
        StoreInputGradient<TS, TVec>(p, rows.R3, c, a30); StoreInputGradient<TS, TVec>(p, rows.R3, c1, a31);
        StoreInputGradient<TS, TVec>(p, rows.R4, c, a40); StoreInputGradient<TS, TVec>(p, rows.R4, c1, a41);
        StoreInputGradient<TS, TVec>(p, rows.R5, c, a50); StoreInputGradient<TS, TVec>(p, rows.R5, c1, a51);
        StoreInputGradient<TS, TVec>(p, rows.R6, c, a60); StoreInputGradient<TS, TVec>(p, rows.R6, c1, a61);
        StoreInputGradient<TS, TVec>(p, rows.R7, c, a70); StoreInputGradient<TS, TVec>(p, rows.R7, c1, a71);
    }

    // dx[r, c .. c + W) for the group's 8 rows: InputGradientTile8x2 with one vector, for the columns left over.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputGradientTile8x1<TS, TVec>(GradientProduct* p, int r0, int c)
        where TS : ISimd<TVec> where TVec : struct
    {
        int k = p->Shape.K, n = p->Shape.N;
        var rows = new GroupRows(p, r0);
        ref float g0 = ref rows.Dy0, g1 = ref rows.Dy1, g2 = ref rows.Dy2, g3 = ref rows.Dy3, g4 = ref rows.Dy4, g5 = ref rows.Dy5, g6 = ref rows.Dy6, g7 = ref rows.Dy7;
        ref float wc = ref p->Other[c];
        TVec a0 = TS.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (nuint o = 0; o < (nuint)n; o++)
        {
            TVec m = TS.Load(ref Unsafe.Add(ref wc, (nint)o * k), 0);
            a0 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g0, o)), m, a0);
            a1 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g1, o)), m, a1);
            a2 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g2, o)), m, a2);
            a3 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g3, o)), m, a3);
            a4 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g4, o)), m, a4);
            a5 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g5, o)), m, a5);
            a6 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g6, o)), m, a6);
            a7 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g7, o)), m, a7);
        }
        StoreInputGradient<TS, TVec>(p, rows.R0, c, a0); StoreInputGradient<TS, TVec>(p, rows.R1, c, a1);
        StoreInputGradient<TS, TVec>(p, rows.R2, c, a2); StoreInputGradient<TS, TVec>(p, rows.R3, c, a3);
        StoreInputGradient<TS, TVec>(p, rows.R4, c, a4); StoreInputGradient<TS, TVec>(p, rows.R5, c, a5);
        StoreInputGradient<TS, TVec>(p, rows.R6, c, a6); StoreInputGradient<TS, TVec>(p, rows.R7, c, a7);
    }

    // dx[r, c .. c + W) = a, multiplied by the scale there in double (rounded once) when there is a scale.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreInputGradient<TS, TVec>(GradientProduct* p, int r, int c, TVec a)
        where TS : ISimd<TVec> where TVec : struct
    {
        nint at = (nint)r * p->Shape.K + c;
        if (p->Scale != null) a = TS.MultiplyInDouble(a, ref p->Scale[at], 0);
        TS.Store(a, ref p->Out[at], 0);
    }

    // The column units [begin, end) of dx, every row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void InputGradientPart<TS, TVec>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        var p = (GradientProduct*)state;
        Shape shape = p->Shape;
        ref float dx = ref *p->Out, dy = ref *p->Dy, w = ref *p->Other;
        for (int u = begin; u < end; u++)
        {
            (int c, bool wide) = p->Units.Columns(u);
            for (int r0 = 0; r0 < shape.Rows; r0 += 4)
            {
                if (wide) InputGradientTile4<TS, TVec>(ref dx, ref dy, ref w, shape, r0, c);
                else InputGradientTile1<TS, TVec>(ref dx, ref dy, ref w, shape, r0, c);
            }
        }
    }

    /// <summary>The operands of dx = dy · w or dw += dyᵀ · x, pinned by the caller for the duration of the call.</summary>
    private unsafe struct GradientProduct
    {
        public float* Out, Dy, Other;

        /// <summary>dW only: the bias's gradient, or null.</summary>
        public float* Bias;

        /// <summary>dX only: null, or a scale per value of dx, laid out as dx (GELU's derivative).</summary>
        public double* Scale;
        public Shape Shape;
        public ColumnUnits Units;
        public bool SkipZeroInputs;

        /// <summary>dW only: add into Out (true) or write over it.</summary>
        public bool Accumulate;
    }

    /// <summary>
    /// The columns along K split into units of work: blocks of 4 vectors, then single vectors, then (when K is not a
    /// multiple of the width) one last vector that overlaps the one before it. Threads split the units.
    /// </summary>
    private readonly struct ColumnUnits
    {
        private readonly int _k, _width, _wide, _narrow;

        public ColumnUnits(int k, int width)
        {
            _k = k;
            _width = width;
            _wide = k / (4 * width);
            _narrow = (k - _wide * 4 * width) / width;
            Count = _wide + _narrow + (k % width != 0 ? 1 : 0);
        }

        public int Count { get; }

        /// <summary>
        /// The units a thread may claim on its own when they accumulate: all but the overlapping last one, which reads
        /// and writes back lanes of the vector before it, so it runs after that unit on the same thread (with the
        /// chunk that ends at <see cref="Claimable"/>). There is always at least one: the width never exceeds K.
        /// </summary>
        public int Claimable => _wide + _narrow;

        /// <summary>Unit <paramref name="u"/>: its first column and whether it is a block of 4 vectors.</summary>
        public (int Column, bool Wide) Columns(int u)
        {
            if (u < _wide) return (u * 4 * _width, true);
            if (u < _wide + _narrow) return (_wide * 4 * _width + (u - _wide) * _width, false);
            return (_k - _width, false);
        }

        /// <summary>The first column a unit adds that no earlier unit covers (only the overlapping last one differs).</summary>
        public int FirstNew(int u) => u < _wide + _narrow ? Columns(u).Column : (_wide * 4 + _narrow) * _width;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientTile4<TS, TVec>(ref float dx, ref float dy, ref float w, Shape shape, int r0, int c)
        where TS : ISimd<TVec> where TVec : struct
    {
        int rows = shape.Rows, k = shape.K, n = shape.N;
        int r1 = Math.Min(r0 + 1, rows - 1), r2 = Math.Min(r0 + 2, rows - 1), r3 = Math.Min(r0 + 3, rows - 1);
        ref float g0 = ref Row(ref dy, r0, n), g1 = ref Row(ref dy, r1, n), g2 = ref Row(ref dy, r2, n), g3 = ref Row(ref dy, r3, n);
        ref float wc = ref Unsafe.Add(ref w, c);
        nuint v1 = (nuint)TS.Count, v2 = 2 * v1, v3 = 3 * v1;
        TVec a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero;
        TVec a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero;
        TVec a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero;
        TVec a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero;
        for (nuint o = 0; o < (nuint)n; o++)
        {
            ref float wr = ref Unsafe.Add(ref wc, (nint)o * k);
            TVec m0 = TS.Load(ref wr, 0), m1 = TS.Load(ref wr, v1), m2 = TS.Load(ref wr, v2), m3 = TS.Load(ref wr, v3);
            TVec s = TS.Create(Unsafe.Add(ref g0, o));
            a00 = TS.MultiplyAdd(s, m0, a00); a01 = TS.MultiplyAdd(s, m1, a01); a02 = TS.MultiplyAdd(s, m2, a02); a03 = TS.MultiplyAdd(s, m3, a03);
            s = TS.Create(Unsafe.Add(ref g1, o));
            a10 = TS.MultiplyAdd(s, m0, a10); a11 = TS.MultiplyAdd(s, m1, a11); a12 = TS.MultiplyAdd(s, m2, a12); a13 = TS.MultiplyAdd(s, m3, a13);
            s = TS.Create(Unsafe.Add(ref g2, o));
            a20 = TS.MultiplyAdd(s, m0, a20); a21 = TS.MultiplyAdd(s, m1, a21); a22 = TS.MultiplyAdd(s, m2, a22); a23 = TS.MultiplyAdd(s, m3, a23);
            s = TS.Create(Unsafe.Add(ref g3, o));
            a30 = TS.MultiplyAdd(s, m0, a30); a31 = TS.MultiplyAdd(s, m1, a31); a32 = TS.MultiplyAdd(s, m2, a32); a33 = TS.MultiplyAdd(s, m3, a33);
        }
        ref float d0 = ref Unsafe.Add(ref Row(ref dx, r0, k), c);
        TS.Store(a00, ref d0, 0); TS.Store(a01, ref d0, v1); TS.Store(a02, ref d0, v2); TS.Store(a03, ref d0, v3);
        ref float d1 = ref Unsafe.Add(ref Row(ref dx, r1, k), c);
        TS.Store(a10, ref d1, 0); TS.Store(a11, ref d1, v1); TS.Store(a12, ref d1, v2); TS.Store(a13, ref d1, v3);
        ref float d2 = ref Unsafe.Add(ref Row(ref dx, r2, k), c);
        TS.Store(a20, ref d2, 0); TS.Store(a21, ref d2, v1); TS.Store(a22, ref d2, v2); TS.Store(a23, ref d2, v3);
        ref float d3 = ref Unsafe.Add(ref Row(ref dx, r3, k), c);
        TS.Store(a30, ref d3, 0); TS.Store(a31, ref d3, v1); TS.Store(a32, ref d3, v2); TS.Store(a33, ref d3, v3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientTile1<TS, TVec>(ref float dx, ref float dy, ref float w, Shape shape, int r0, int c)
        where TS : ISimd<TVec> where TVec : struct
    {
        int rows = shape.Rows, k = shape.K, n = shape.N;
        int r1 = Math.Min(r0 + 1, rows - 1), r2 = Math.Min(r0 + 2, rows - 1), r3 = Math.Min(r0 + 3, rows - 1);
        ref float g0 = ref Row(ref dy, r0, n), g1 = ref Row(ref dy, r1, n), g2 = ref Row(ref dy, r2, n), g3 = ref Row(ref dy, r3, n);
        ref float wc = ref Unsafe.Add(ref w, c);
        TVec a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
        for (nuint o = 0; o < (nuint)n; o++)
        {
            TVec m = TS.Load(ref Unsafe.Add(ref wc, (nint)o * k), 0);
            a0 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g0, o)), m, a0);
            a1 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g1, o)), m, a1);
            a2 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g2, o)), m, a2);
            a3 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g3, o)), m, a3);
        }
        TS.Store(a0, ref Unsafe.Add(ref Row(ref dx, r0, k), c), 0);
        TS.Store(a1, ref Unsafe.Add(ref Row(ref dx, r1, k), c), 0);
        TS.Store(a2, ref Unsafe.Add(ref Row(ref dx, r2, k), c), 0);
        TS.Store(a3, ref Unsafe.Add(ref Row(ref dx, r3, k), c), 0);
    }

    // ---- dw += dyᵀ · x ----

    // Tiles of 4 weight rows (outputs) × 4 vectors: for each row r of the batch, broadcast dy[r, o] against the
    // vectors of x row r, then add the tile into dw once. Column blocks are the outer loop so a block's strip of x
    // stays in cache across all output tiles. Because dw accumulates, a partial tile computes a repeated output but
    // adds only the valid ones, and the last K mod W columns add only their new lanes. Threads split the column
    // units, so each value of dw is summed by one thread in the same order as on one thread (the overlapping last
    // vector, which adds into lanes of the one before it, always runs right after it, on its thread). A unit is already 64
    // columns × every output (at 64 × 784 × 256, 13 units of about 8 µs), so chunks of a single unit are worth their
    // claim: with skipped rows the units' costs differ, and single units balance the threads (dW on an MNIST batch,
    // two threads: 53.3-53.9 µs in chunks of at least 2 units, 48.2 µs in single units).
    private static unsafe void WeightGradientTiles<TS, TVec>(ref float dw, ref float dbias, ref float dy, ref float x, Shape shape, bool skipZeroInputs, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        if (skipZeroInputs && typeof(TS) == typeof(Simd512) && SparseWeightGradientFits(shape))
        {
            SparseWeightGradient(ref dw, ref dbias, ref dy, ref x, shape, accumulate);
            return;
        }
        var units = new ColumnUnits(shape.K, TS.Count);
        fixed (float* pdw = &dw, pdb = &dbias, pdy = &dy, px = &x)
        {
            var product = new GradientProduct { Out = pdw, Bias = pdb, Dy = pdy, Other = px, Shape = shape, Units = units, SkipZeroInputs = skipZeroInputs, Accumulate = accumulate };
            KernelThreads.For(units.Claimable, &product, &WeightGradientPart<TS, TVec>, minimumPerThread: 1);
        }
    }

    // The column units [begin, end) of dw, every output. A block of 4 vectors is first copied out of x into a
    // contiguous strip (the calling thread's own scratch): x's rows are K apart, and at K = 256 (1 KB) the block's 64
    // rows × 4 lines fall into a quarter of L1's sets and evict each other. With SkipZeroInputs each half of the block
    // (2 vectors) gets a strip of only the rows with a nonzero value in it, and a list says which rows of dy they go
    // with: a row left out would add dy·0 = ±0 to each sum, which changes nothing. Its tiles are 8 outputs × 2 vectors
    // (on 64 MNIST digits 27% of the rows of a 32-column half are zero, against 23% of a whole block's, and the
    // narrower strip is faster besides: dW on an MNIST batch took 99.6 µs with 4 × 4 tiles over whole blocks, 92 µs so).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightGradientPart<TS, TVec>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        var p = (GradientProduct*)state;
        Shape shape = p->Shape;
        int n = shape.N, k = shape.K, width = TS.Count, stripWidth = 4 * width, halfWidth = 2 * width;
        ref float dw = ref *p->Out, dy = ref *p->Dy, x = ref *p->Other;
        bool accumulate = p->Accumulate;
        int stop = end == p->Units.Claimable ? p->Units.Count : end; // the overlapping last unit goes with the one before it
        for (int u = begin; u < stop; u++)
        {
            (int c, bool wide) = p->Units.Columns(u);
            if (wide && p->SkipZeroInputs)
            {
                // Each half of the block, 2 vectors wide, gets its own strip of the rows that hold a nonzero value in it.
                ref float strip = ref Scratch(ref t_transposedInput, shape.Rows * halfWidth);
                ref int rowList = ref Scratch(ref t_listedIndices, shape.Rows);
                for (int half = c; half < c + stripWidth; half += halfWidth)
                {
                    var rows = CopyNonzeroRows<TS, TVec>(ref x, shape, half, ref strip, ref rowList);
                    int o0 = 0;
                    for (; o0 + 8 <= n; o0 += 8)
                        WeightGradientTile8x2<TS, TVec>(ref dw, ref dy, ref strip, shape, rows, o0, half, accumulate);
                    for (; o0 < n; o0 += 4)
                        WeightGradientTile4x2<TS, TVec>(ref dw, ref dy, ref strip, shape, rows, o0, half, accumulate);
                }
            }
            else if (wide)
            {
                ref float strip = ref Scratch(ref t_transposedInput, shape.Rows * stripWidth);
                CopyColumns(ref strip, ref x, shape.Rows, k, c, stripWidth);
                for (int o0 = 0; o0 < n; o0 += 4)
                    WeightGradientTile4<TS, TVec>(ref dw, ref dy, ref strip, stripWidth, shape, o0, c, accumulate);
            }
            else
            {
                TVec fresh = TS.LanesFrom(p->Units.FirstNew(u) - c);
                for (int o0 = 0; o0 < n; o0 += 4)
                    WeightGradientTile1<TS, TVec>(ref dw, ref dy, ref x, shape, o0, c, fresh, accumulate);
            }
        }
        if (p->Bias != null) BiasGradientShare(ref *p->Bias, ref dy, shape.Rows, n, begin, end, p->Units.Claimable, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTile4<TS, TVec>(ref float dw, ref float dy, ref float strip, int stripWidth, Shape shape, int o0, int c, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        int k = shape.K, n = shape.N, valid = Math.Min(4, n - o0);
        int o1 = Math.Min(o0 + 1, n - 1), o2 = Math.Min(o0 + 2, n - 1), o3 = Math.Min(o0 + 3, n - 1);
        nuint v1 = (nuint)TS.Count, v2 = 2 * v1, v3 = 3 * v1;
        TVec a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero;
        TVec a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero;
        TVec a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero;
        TVec a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero;
        for (int r = 0; r < shape.Rows; r++)
        {
            ref float xr = ref Row(ref strip, r, stripWidth);
            ref float g = ref Row(ref dy, r, n);
            TVec m0 = TS.Load(ref xr, 0), m1 = TS.Load(ref xr, v1), m2 = TS.Load(ref xr, v2), m3 = TS.Load(ref xr, v3);
            TVec s = TS.Create(Unsafe.Add(ref g, o0));
            a00 = TS.MultiplyAdd(s, m0, a00); a01 = TS.MultiplyAdd(s, m1, a01); a02 = TS.MultiplyAdd(s, m2, a02); a03 = TS.MultiplyAdd(s, m3, a03);
            s = TS.Create(Unsafe.Add(ref g, o1));
            a10 = TS.MultiplyAdd(s, m0, a10); a11 = TS.MultiplyAdd(s, m1, a11); a12 = TS.MultiplyAdd(s, m2, a12); a13 = TS.MultiplyAdd(s, m3, a13);
            s = TS.Create(Unsafe.Add(ref g, o2));
            a20 = TS.MultiplyAdd(s, m0, a20); a21 = TS.MultiplyAdd(s, m1, a21); a22 = TS.MultiplyAdd(s, m2, a22); a23 = TS.MultiplyAdd(s, m3, a23);
            s = TS.Create(Unsafe.Add(ref g, o3));
            a30 = TS.MultiplyAdd(s, m0, a30); a31 = TS.MultiplyAdd(s, m1, a31); a32 = TS.MultiplyAdd(s, m2, a32); a33 = TS.MultiplyAdd(s, m3, a33);
        }
        AddTo<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o0, k), c), a00, a01, a02, a03, accumulate);
        if (valid > 1) AddTo<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o1, k), c), a10, a11, a12, a13, accumulate);
        if (valid > 2) AddTo<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o2, k), c), a20, a21, a22, a23, accumulate);
        if (valid > 3) AddTo<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o3, k), c), a30, a31, a32, a33, accumulate);
    }

    // Copies the rows of x that hold a nonzero value in columns [c, c + 2 vectors) into strip, and lists their indices.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ListedIndices CopyNonzeroRows<TS, TVec>(ref float x, Shape shape, int c, ref float strip, ref int rowList)
        where TS : ISimd<TVec> where TVec : struct
    {
        nuint width = (nuint)TS.Count;
        int listed = 0;
        for (int r = 0; r < shape.Rows; r++)
        {
            ref float xr = ref Unsafe.Add(ref Row(ref x, r, shape.K), c);
            TVec m0 = TS.Load(ref xr, 0), m1 = TS.Load(ref xr, width);
            if (TS.IsZero(TS.Or(m0, m1))) continue;
            ref float destination = ref Unsafe.Add(ref strip, (nuint)listed * 2 * width);
            TS.Store(m0, ref destination, 0);
            TS.Store(m1, ref destination, width);
            Unsafe.Add(ref rowList, listed++) = r;
        }
        return new ListedIndices(ref rowList, listed);
    }

    // 8 weight rows (outputs o0 … o0 + 7, all valid) × 2 vectors of columns from c, over the listed rows of a strip
    // 2 vectors wide: per row, 2 loads and 8 broadcasts feed 16 FMAs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTile8x2<TS, TVec>(ref float dw, ref float dy, ref float strip, Shape shape, ListedIndices rows, int o0, int c, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        int k = shape.K, n = shape.N;
        nuint width = (nuint)TS.Count, pair = 2 * width;
        TVec a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
        TVec b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero, b4 = TS.Zero, b5 = TS.Zero, b6 = TS.Zero, b7 = TS.Zero;
        ref float dyTile = ref Unsafe.Add(ref dy, o0);
        for (int i = 0; i < rows.Count; i++)
        {
            TVec m0 = TS.Load(ref strip, (nuint)i * pair), m1 = TS.Load(ref strip, (nuint)i * pair + width);
            ref float g = ref Row(ref dyTile, rows[i], n);
            TVec s = TS.Create(g);
            a0 = TS.MultiplyAdd(s, m0, a0); b0 = TS.MultiplyAdd(s, m1, b0);
            s = TS.Create(Unsafe.Add(ref g, 1));
            a1 = TS.MultiplyAdd(s, m0, a1); b1 = TS.MultiplyAdd(s, m1, b1);
            s = TS.Create(Unsafe.Add(ref g, 2));
            a2 = TS.MultiplyAdd(s, m0, a2); b2 = TS.MultiplyAdd(s, m1, b2);
            s = TS.Create(Unsafe.Add(ref g, 3));
            a3 = TS.MultiplyAdd(s, m0, a3); b3 = TS.MultiplyAdd(s, m1, b3);
            s = TS.Create(Unsafe.Add(ref g, 4));
            a4 = TS.MultiplyAdd(s, m0, a4); b4 = TS.MultiplyAdd(s, m1, b4);
            s = TS.Create(Unsafe.Add(ref g, 5));
            a5 = TS.MultiplyAdd(s, m0, a5); b5 = TS.MultiplyAdd(s, m1, b5);
            s = TS.Create(Unsafe.Add(ref g, 6));
            a6 = TS.MultiplyAdd(s, m0, a6); b6 = TS.MultiplyAdd(s, m1, b6);
            s = TS.Create(Unsafe.Add(ref g, 7));
            a7 = TS.MultiplyAdd(s, m0, a7); b7 = TS.MultiplyAdd(s, m1, b7);
        }
        ref float d = ref Unsafe.Add(ref Row(ref dw, o0, k), c);
        AddTo2<TS, TVec>(ref d, a0, b0, accumulate);
        AddTo2<TS, TVec>(ref Row(ref d, 1, k), a1, b1, accumulate);
        AddTo2<TS, TVec>(ref Row(ref d, 2, k), a2, b2, accumulate);
        AddTo2<TS, TVec>(ref Row(ref d, 3, k), a3, b3, accumulate);
        AddTo2<TS, TVec>(ref Row(ref d, 4, k), a4, b4, accumulate);
        AddTo2<TS, TVec>(ref Row(ref d, 5, k), a5, b5, accumulate);
        AddTo2<TS, TVec>(ref Row(ref d, 6, k), a6, b6, accumulate);
        AddTo2<TS, TVec>(ref Row(ref d, 7, k), a7, b7, accumulate);
    }

    // The outputs left over from the 8-output tiles, 4 at a time: past the last output of the layer it repeats that
    // one and adds only the valid outputs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTile4x2<TS, TVec>(ref float dw, ref float dy, ref float strip, Shape shape, ListedIndices rows, int o0, int c, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        int k = shape.K, n = shape.N, valid = Math.Min(4, n - o0);
        int o1 = Math.Min(o0 + 1, n - 1), o2 = Math.Min(o0 + 2, n - 1), o3 = Math.Min(o0 + 3, n - 1);
        nuint width = (nuint)TS.Count, pair = 2 * width;
        TVec a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero;
        for (int i = 0; i < rows.Count; i++)
        {
            TVec m0 = TS.Load(ref strip, (nuint)i * pair), m1 = TS.Load(ref strip, (nuint)i * pair + width);
            ref float g = ref Row(ref dy, rows[i], n);
            TVec s = TS.Create(Unsafe.Add(ref g, o0));
            a0 = TS.MultiplyAdd(s, m0, a0); b0 = TS.MultiplyAdd(s, m1, b0);
            s = TS.Create(Unsafe.Add(ref g, o1));
            a1 = TS.MultiplyAdd(s, m0, a1); b1 = TS.MultiplyAdd(s, m1, b1);
            s = TS.Create(Unsafe.Add(ref g, o2));
            a2 = TS.MultiplyAdd(s, m0, a2); b2 = TS.MultiplyAdd(s, m1, b2);
            s = TS.Create(Unsafe.Add(ref g, o3));
            a3 = TS.MultiplyAdd(s, m0, a3); b3 = TS.MultiplyAdd(s, m1, b3);
        }
        AddTo2<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o0, k), c), a0, b0, accumulate);
        if (valid > 1) AddTo2<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o1, k), c), a1, b1, accumulate);
        if (valid > 2) AddTo2<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o2, k), c), a2, b2, accumulate);
        if (valid > 3) AddTo2<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o3, k), c), a3, b3, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo2<TS, TVec>(ref float destination, TVec a0, TVec a1, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        AddTo1<TS, TVec>(ref destination, a0, accumulate);
        AddTo1<TS, TVec>(ref Unsafe.Add(ref destination, TS.Count), a1, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TS, TVec>(ref float destination, TVec a0, TVec a1, TVec a2, TVec a3, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        AddTo2<TS, TVec>(ref destination, a0, a1, accumulate);
        AddTo2<TS, TVec>(ref Unsafe.Add(ref destination, 2 * TS.Count), a2, a3, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTile1<TS, TVec>(ref float dw, ref float dy, ref float x, Shape shape, int o0, int c, TVec fresh, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        int rows = shape.Rows, k = shape.K, n = shape.N, valid = Math.Min(4, n - o0);
        int o1 = Math.Min(o0 + 1, n - 1), o2 = Math.Min(o0 + 2, n - 1), o3 = Math.Min(o0 + 3, n - 1);
        ref float xc = ref Unsafe.Add(ref x, c);
        TVec a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
        for (int r = 0; r < rows; r++)
        {
            TVec m = TS.Load(ref Row(ref xc, r, k), 0);
            ref float g = ref Row(ref dy, r, n);
            a0 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g, o0)), m, a0);
            a1 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g, o1)), m, a1);
            a2 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g, o2)), m, a2);
            a3 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref g, o3)), m, a3);
        }
        AddFreshTo1<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o0, k), c), a0, fresh, accumulate);
        if (valid > 1) AddFreshTo1<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o1, k), c), a1, fresh, accumulate);
        if (valid > 2) AddFreshTo1<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o2, k), c), a2, fresh, accumulate);
        if (valid > 3) AddFreshTo1<TS, TVec>(ref Unsafe.Add(ref Row(ref dw, o3, k), c), a3, fresh, accumulate);
    }

    // A tile's sums into dw: added to what dw holds, or, to overwrite it, added to +0 (the values of adding into a
    // zeroed dw, bit for bit: a −0 sum becomes +0 as it would there), without reading dw.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo1<TS, TVec>(ref float destination, TVec a, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
        => TS.Store(TS.Add(accumulate ? TS.Load(ref destination, 0) : TS.Zero, a), ref destination, 0);

    // The same for the overlapping last vector, into its fresh lanes only: the others belong to the vector before it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddFreshTo1<TS, TVec>(ref float destination, TVec a, TVec fresh, bool accumulate)
        where TS : ISimd<TVec> where TVec : struct
    {
        TVec old = TS.Load(ref destination, 0);
        TS.Store(TS.Select(fresh, TS.Add(accumulate ? old : TS.Zero, a), old), ref destination, 0);
    }
}
