using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelGen;

// y = x · wᵀ + bias for a batch of at least one vector of rows. The rows are the vector dimension: x is transposed into
// per-thread scratch (inFeatures × paddedRows, padding rows zero) so that one vector holds one input feature of
// W consecutive rows. A tile keeps 4 row-vectors × 6 outputs in 24 accumulators; for each input feature it loads 4
// vectors of xᵀ and broadcasts one weight from each of 6 weight rows (read in order, so they stream), 24 FMAs and no
// lane sums. The accumulators start at the bias. Each accumulator is a column of y for W rows, so tiles write yᵀ
// (outFeatures × paddedRows, scratch too) and one transpose at the end writes y. Both transposes go through
// registers 16 × 16 at a time; at 64 × 784 × 256 they cost about 5% of the product. The scratch belongs to the
// calling thread; worker threads read and write it through pointers while the caller waits in the same call.
// (dx = dy · w needs no transposes: its outputs, the input features, are consecutive in w's rows, so its tiles broadcast
// the rows of dy against them; see InputGradientTiles.)
// When the caller asks (skipZeroInputs; the generated code does for a layer that reads the model's input), input
// features that are zero in every row of the batch are skipped: the transpose lists the features with a nonzero value
// and the tiles loop over that list. A skipped feature would add w·0 = ±0 to each sum, which changes nothing, so the
// result is the dense product's, bit for bit (up to the sign of a zero result, and a NaN or ∞ weight facing an
// all-zero feature gives no NaN). Hidden activations are dense, and looking for zeros there costs about 10%; a batch
// of images is another matter: in 64 MNIST digits about 37% of the pixels are zero in all of them. (On 512-bit
// vectors a batch of at least 32 rows that fits goes to SparseForward instead, which skips per 4 rows.)
public static partial class Kernels
{
    private const int BatchTileOutputs = 6;

    /// <summary>The operands of one batch product, pinned by the caller for the duration of the call.</summary>
    private unsafe struct BatchProduct
    {
        public float* Y, X, W, Bias, XT, YT;
        public BatchShape Batch;
        public int PaddedRows;

        /// <summary>With skipZeroInputs, for each input feature: 1 when some row holds a nonzero value in it, else 0.</summary>
        public int* HasNonzero;

        /// <summary>With skipZeroInputs, where the inputs with a nonzero value are, in order: the first <see cref="ActiveCount"/> count.</summary>
        public InputOffsets* Active;
        public int ActiveCount;
        public bool SkipZeroInputs;

        /// <summary>
        /// With skipZeroInputs on the dot-product path (fewer rows than a vector): for each row left over from the 4-row
        /// tiles, the indices of its whole vectors that hold a nonzero value (row j's list starts at j × K / width),
        /// and how many each list holds.
        /// </summary>
        public int* NonzeroVectors;
        public fixed int NonzeroVectorCounts[3];
    }

    /// <summary>Where one input feature's values are: its row of xᵀ and its first weight, as offsets in floats.</summary>
    private readonly struct InputOffsets(nint transposed, nint weight)
    {
        public readonly nint Transposed = transposed, Weight = weight;
    }

    /// <summary>The input features a tile sums over, in order, and where each one's values are.</summary>
    private interface IInputs<TSelf> where TSelf : struct, IInputs<TSelf>
    {
        static abstract unsafe TSelf Of(BatchProduct* product);

        nuint Count { get; }

        InputOffsets At(nuint i);
    }

    /// <summary>Every input feature.</summary>
    private readonly struct AllInputs(int count, int paddedRows) : IInputs<AllInputs>
    {
        public static unsafe AllInputs Of(BatchProduct* p) => new(p->Batch.Inner, p->PaddedRows);

        public nuint Count => (nuint)count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public InputOffsets At(nuint i) => new((nint)i * paddedRows, (nint)i);
    }

    /// <summary>The input features listed as holding a nonzero value.</summary>
    private readonly unsafe struct ListedInputs(InputOffsets* list, int count) : IInputs<ListedInputs>
    {
        public static ListedInputs Of(BatchProduct* p) => new(p->Active, p->ActiveCount);

        public nuint Count => (nuint)count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public InputOffsets At(nuint i) => list[i];
    }

    /// <summary>A batch product y(Rows, Outputs) = x(Rows, Inner) · wᵀ, with w (Outputs, Inner) row-major.</summary>
    private readonly record struct BatchShape(int Rows, int Inner, int Outputs);

    // Three steps: the transpose of x, the tiles, the transpose back. With a block of 2 row-vectors for every thread
    // the threads split the rows and each runs the three steps on its own blocks (RowBlocksPart); otherwise each step
    // is split over the threads by what it writes: columns of x (rows of xᵀ), then groups of 6 outputs, then rows of y.
    // Every value is computed by one thread exactly as on one thread.
    private static unsafe void ForwardBatch<TS, TVec>(ref float y, ref float x, ref float w, ReadOnlySpan<float> bias, Shape shape, bool skipZeroInputs)
        where TS : ISimd<TVec> where TVec : struct
    {
        int rowBlocks = (shape.Rows + RowBlockVectors * TS.Count - 1) / (RowBlockVectors * TS.Count);
        fixed (float* py = &y, px = &x, pw = &w, pBias = bias)
        {
            var whole = new BatchProduct { Y = py, X = px, W = pw, Bias = pBias, Batch = new BatchShape(shape.Rows, shape.K, shape.N), SkipZeroInputs = skipZeroInputs };
            if (KernelThreads.Count > 1 && rowBlocks >= KernelThreads.Count)
                KernelThreads.For(rowBlocks, &whole, &RowBlocksPart<TS, TVec>, minimumPerThread: 1);
            else
                BatchProductSteps<TS, TVec>(&whole);
        }
    }

    // With more than one thread and a block of rows for each, the threads split the rows instead of the outputs:
    // each block of 2 row-vectors is transposed, summed over its own list of nonzero inputs (with skipZeroInputs) and
    // transposed back by the thread that claimed it, in its own scratch, so the product is one parallel region instead
    // of three, the threads' shares are equal, and no thread reads what another wrote. Every output is the same sum
    // in the same order as on one thread.
    private const int RowBlockVectors = 2;

    // Row blocks [begin, end), each whole on the calling thread: inside a parallel region the workers are taken, so
    // the steps' own KernelThreads.For calls run where they are called.
    private static unsafe void RowBlocksPart<TS, TVec>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        var p = (BatchProduct*)state;
        BatchShape shape = p->Batch;
        int blockRows = RowBlockVectors * TS.Count;
        for (int b = begin; b < end; b++)
        {
            int r0 = b * blockRows;
            var block = new BatchProduct
            {
                Y = p->Y + (nint)r0 * shape.Outputs, X = p->X + (nint)r0 * shape.Inner, W = p->W, Bias = p->Bias,
                Batch = shape with { Rows = Math.Min(blockRows, shape.Rows - r0) }, SkipZeroInputs = p->SkipZeroInputs,
            };
            BatchProductSteps<TS, TVec>(&block);
        }
    }

    // The three steps of a product whose operands (Y, X, W, Bias, Batch, SkipZeroInputs) are set, in the calling
    // thread's scratch, each split over the threads that are free.
    private static unsafe void BatchProductSteps<TS, TVec>(BatchProduct* product)
        where TS : ISimd<TVec> where TVec : struct
    {
        BatchShape shape = product->Batch;
        int rows = shape.Rows, k = shape.Inner, n = shape.Outputs, width = TS.Count;
        bool skipZeroInputs = product->SkipZeroInputs;
        int paddedRows = (rows + width - 1) / width * width;
        ref float xT = ref Scratch(ref t_transposedInput, k * paddedRows);
        ref float yT = ref Scratch(ref t_transposedOutput, n * paddedRows);
        ref InputOffsets active = ref Scratch(ref t_activeInputs, skipZeroInputs ? k : 0);
        ref int hasNonzero = ref Scratch(ref t_listedIndices, skipZeroInputs ? k : 0);
        fixed (float* pxT = &xT, pyT = &yT)
        fixed (InputOffsets* pActive = &active)
        fixed (int* pHasNonzero = &hasNonzero)
        {
            product->XT = pxT;
            product->YT = pyT;
            product->PaddedRows = paddedRows;
            product->HasNonzero = pHasNonzero;
            product->Active = pActive;
            KernelThreads.For((k + 15) / 16, product, &TransposeInputPart<TS, TVec>, minimumPerThread: 4);
            int tileGroups = (n + BatchTileOutputs - 1) / BatchTileOutputs;
            if (skipZeroInputs) product->ActiveCount = ListNonzero(pHasNonzero, pActive, k, paddedRows);
            if (skipZeroInputs && product->ActiveCount < k)
            {
                KernelThreads.For(tileGroups, product, &BatchTilesPart<TS, TVec, ListedInputs>, minimumPerThread: 2);
            }
            else
            {
                KernelThreads.For(tileGroups, product, &BatchTilesPart<TS, TVec, AllInputs>, minimumPerThread: 2);
            }
            KernelThreads.For((rows + 15) / 16, product, &TransposeOutputPart, minimumPerThread: 1);
        }
    }

    // xᵀ rows [16·begin, 16·end) from the same columns of x; the padding rows of the batch are zeroed. With
    // SkipZeroInputs, HasNonzero[c] then says whether row c of xᵀ holds a nonzero value.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TransposeInputPart<TS, TVec>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct
    {
        var p = (BatchProduct*)state;
        int rows = p->Batch.Rows, k = p->Batch.Inner, padded = p->PaddedRows;
        int c0 = 16 * begin, c1 = Math.Min(16 * end, k);
        Transpose(ref p->XT[(nint)c0 * padded], padded, ref p->X[c0], k, rows, c1 - c0);
        if (padded > rows)
        {
            for (int c = c0; c < c1; c++) new Span<float>(p->XT + (nint)c * padded + rows, padded - rows).Clear();
        }
        for (int c = c0; c < c1 && p->SkipZeroInputs; c++)
        {
            ref float row = ref p->XT[(nint)c * padded];
            TVec any = TS.Zero;
            for (nuint i = 0; i < (nuint)padded; i += (nuint)TS.Count) any = TS.Or(any, TS.Load(ref row, i));
            p->HasNonzero[c] = TS.IsZero(any) ? 0 : 1;
        }
    }

    // Writes the offsets of the inputs flagged in hasNonzero[0 .. count) to list, in order; returns how many.
    private static unsafe int ListNonzero(int* hasNonzero, InputOffsets* list, int count, int paddedRows)
    {
        int listed = 0;
        for (int c = 0; c < count; c++)
        {
            if (hasNonzero[c] != 0) list[listed++] = new InputOffsets((nint)c * paddedRows, c);
        }
        return listed;
    }

    // yᵀ for the groups of 6 outputs [begin, end), every row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BatchTilesPart<TS, TVec, TInputs>(void* state, int begin, int end)
        where TS : ISimd<TVec> where TVec : struct where TInputs : struct, IInputs<TInputs>
    {
        var p = (BatchProduct*)state;
        BatchShape shape = p->Batch;
        int width = TS.Count, rowVectors = p->PaddedRows / width;
        var bias = new ReadOnlySpan<float>(p->Bias, p->Bias == null ? 0 : shape.Outputs);
        ref float yT = ref *p->YT, xT = ref *p->XT, w = ref *p->W;
        var inputs = TInputs.Of(p);
        for (int o0 = begin * BatchTileOutputs; o0 < Math.Min(end * BatchTileOutputs, shape.Outputs); o0 += BatchTileOutputs)
        {
            int v = 0;
            for (; v + 4 <= rowVectors; v += 4)
                BatchTile4<TS, TVec, TInputs>(ref yT, ref xT, ref w, bias, shape, inputs, p->PaddedRows, v * width, o0);
            for (; v + 2 <= rowVectors; v += 2)
                BatchTile2<TS, TVec, TInputs>(ref yT, ref xT, ref w, bias, shape, inputs, p->PaddedRows, v * width, o0);
            for (; v < rowVectors; v++)
                BatchTile1<TS, TVec, TInputs>(ref yT, ref xT, ref w, bias, shape, inputs, p->PaddedRows, v * width, o0);
        }
    }

    // Rows [16·begin, 16·end) of y, whole, from the same columns of yᵀ. Split by rows, each thread writes a contiguous
    // block of y: split by columns, two threads would write neighbouring pieces of every row at the same time, and
    // where a piece ends inside a cache line the line would bounce between the cores.
    private static unsafe void TransposeOutputPart(void* state, int begin, int end)
    {
        var p = (BatchProduct*)state;
        int n = p->Batch.Outputs, r0 = 16 * begin, r1 = Math.Min(16 * end, p->Batch.Rows);
        Transpose(ref p->Y[(nint)r0 * n], n, ref p->YT[r0], p->PaddedRows, n, r1 - r0);
    }

    /// <summary>The 6 outputs of a tile from its first; past the last output of the layer it repeats that one.</summary>
    private readonly struct TileOutputs
    {
        public readonly int O0, O1, O2, O3, O4, O5;

        public TileOutputs(int o0, int n)
        {
            O0 = o0;
            O1 = Math.Min(o0 + 1, n - 1);
            O2 = Math.Min(o0 + 2, n - 1);
            O3 = Math.Min(o0 + 3, n - 1);
            O4 = Math.Min(o0 + 4, n - 1);
            O5 = Math.Min(o0 + 5, n - 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec BiasOf<TS, TVec>(ReadOnlySpan<float> bias, int o) where TS : ISimd<TVec> where TVec : struct
        => bias.IsEmpty ? TS.Zero : TS.Create(bias[o]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BatchTile4<TS, TVec, TInputs>(ref float yT, ref float xT, ref float w, ReadOnlySpan<float> bias, BatchShape shape, TInputs inputs, int paddedRows, int r0, int o0)
        where TS : ISimd<TVec> where TVec : struct where TInputs : struct, IInputs<TInputs>
    {
        int n = shape.Outputs, stride = shape.Inner;
        var o = new TileOutputs(o0, n);
        ref float w0 = ref Row(ref w, o.O0, stride), w1 = ref Row(ref w, o.O1, stride), w2 = ref Row(ref w, o.O2, stride);
        ref float w3 = ref Row(ref w, o.O3, stride), w4 = ref Row(ref w, o.O4, stride), w5 = ref Row(ref w, o.O5, stride);
        TVec b = BiasOf<TS, TVec>(bias, o.O0);
        TVec a00 = b, a01 = b, a02 = b, a03 = b;
        b = BiasOf<TS, TVec>(bias, o.O1);
        TVec a10 = b, a11 = b, a12 = b, a13 = b;
        b = BiasOf<TS, TVec>(bias, o.O2);
        TVec a20 = b, a21 = b, a22 = b, a23 = b;
        b = BiasOf<TS, TVec>(bias, o.O3);
        TVec a30 = b, a31 = b, a32 = b, a33 = b;
        b = BiasOf<TS, TVec>(bias, o.O4);
        TVec a40 = b, a41 = b, a42 = b, a43 = b;
        b = BiasOf<TS, TVec>(bias, o.O5);
        TVec a50 = b, a51 = b, a52 = b, a53 = b;
        nuint v1 = (nuint)TS.Count, v2 = 2 * v1, v3 = 3 * v1;
        ref float x0k = ref Unsafe.Add(ref xT, r0);
        for (nuint i = 0; i < inputs.Count; i++)
        {
            InputOffsets offsets = inputs.At(i);
            nint at = offsets.Weight;
            ref float xk = ref Unsafe.Add(ref x0k, offsets.Transposed);
            TVec x0 = TS.Load(ref xk, 0), x1 = TS.Load(ref xk, v1), x2 = TS.Load(ref xk, v2), x3 = TS.Load(ref xk, v3);
            TVec s = TS.Create(Unsafe.Add(ref w0, at));
            a00 = TS.MultiplyAdd(s, x0, a00); a01 = TS.MultiplyAdd(s, x1, a01); a02 = TS.MultiplyAdd(s, x2, a02); a03 = TS.MultiplyAdd(s, x3, a03);
            s = TS.Create(Unsafe.Add(ref w1, at));
            a10 = TS.MultiplyAdd(s, x0, a10); a11 = TS.MultiplyAdd(s, x1, a11); a12 = TS.MultiplyAdd(s, x2, a12); a13 = TS.MultiplyAdd(s, x3, a13);
            s = TS.Create(Unsafe.Add(ref w2, at));
            a20 = TS.MultiplyAdd(s, x0, a20); a21 = TS.MultiplyAdd(s, x1, a21); a22 = TS.MultiplyAdd(s, x2, a22); a23 = TS.MultiplyAdd(s, x3, a23);
            s = TS.Create(Unsafe.Add(ref w3, at));
            a30 = TS.MultiplyAdd(s, x0, a30); a31 = TS.MultiplyAdd(s, x1, a31); a32 = TS.MultiplyAdd(s, x2, a32); a33 = TS.MultiplyAdd(s, x3, a33);
            s = TS.Create(Unsafe.Add(ref w4, at));
            a40 = TS.MultiplyAdd(s, x0, a40); a41 = TS.MultiplyAdd(s, x1, a41); a42 = TS.MultiplyAdd(s, x2, a42); a43 = TS.MultiplyAdd(s, x3, a43);
            s = TS.Create(Unsafe.Add(ref w5, at));
            a50 = TS.MultiplyAdd(s, x0, a50); a51 = TS.MultiplyAdd(s, x1, a51); a52 = TS.MultiplyAdd(s, x2, a52); a53 = TS.MultiplyAdd(s, x3, a53);
        }
        Store4<TS, TVec>(ref Row(ref yT, o.O0, paddedRows), r0, a00, a01, a02, a03);
        Store4<TS, TVec>(ref Row(ref yT, o.O1, paddedRows), r0, a10, a11, a12, a13);
        Store4<TS, TVec>(ref Row(ref yT, o.O2, paddedRows), r0, a20, a21, a22, a23);
        Store4<TS, TVec>(ref Row(ref yT, o.O3, paddedRows), r0, a30, a31, a32, a33);
        Store4<TS, TVec>(ref Row(ref yT, o.O4, paddedRows), r0, a40, a41, a42, a43);
        Store4<TS, TVec>(ref Row(ref yT, o.O5, paddedRows), r0, a50, a51, a52, a53);
    }

    // 2 row-vectors × 6 outputs: per input 2 loads and 6 broadcasts feed 12 FMAs (the row blocks of a split by rows).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BatchTile2<TS, TVec, TInputs>(ref float yT, ref float xT, ref float w, ReadOnlySpan<float> bias, BatchShape shape, TInputs inputs, int paddedRows, int r0, int o0)
        where TS : ISimd<TVec> where TVec : struct where TInputs : struct, IInputs<TInputs>
    {
        int n = shape.Outputs, stride = shape.Inner;
        var o = new TileOutputs(o0, n);
        ref float w0 = ref Row(ref w, o.O0, stride), w1 = ref Row(ref w, o.O1, stride), w2 = ref Row(ref w, o.O2, stride);
        ref float w3 = ref Row(ref w, o.O3, stride), w4 = ref Row(ref w, o.O4, stride), w5 = ref Row(ref w, o.O5, stride);
        TVec b = BiasOf<TS, TVec>(bias, o.O0);
        TVec a00 = b, a01 = b;
        b = BiasOf<TS, TVec>(bias, o.O1);
        TVec a10 = b, a11 = b;
        b = BiasOf<TS, TVec>(bias, o.O2);
        TVec a20 = b, a21 = b;
        b = BiasOf<TS, TVec>(bias, o.O3);
        TVec a30 = b, a31 = b;
        b = BiasOf<TS, TVec>(bias, o.O4);
        TVec a40 = b, a41 = b;
        b = BiasOf<TS, TVec>(bias, o.O5);
        TVec a50 = b, a51 = b;
        nuint v1 = (nuint)TS.Count;
        ref float x0k = ref Unsafe.Add(ref xT, r0);
        for (nuint i = 0; i < inputs.Count; i++)
        {
            InputOffsets offsets = inputs.At(i);
            nint at = offsets.Weight;
            ref float xk = ref Unsafe.Add(ref x0k, offsets.Transposed);
            TVec x0 = TS.Load(ref xk, 0), x1 = TS.Load(ref xk, v1);
            TVec s = TS.Create(Unsafe.Add(ref w0, at));
            a00 = TS.MultiplyAdd(s, x0, a00); a01 = TS.MultiplyAdd(s, x1, a01);
            s = TS.Create(Unsafe.Add(ref w1, at));
            a10 = TS.MultiplyAdd(s, x0, a10); a11 = TS.MultiplyAdd(s, x1, a11);
            s = TS.Create(Unsafe.Add(ref w2, at));
            a20 = TS.MultiplyAdd(s, x0, a20); a21 = TS.MultiplyAdd(s, x1, a21);
            s = TS.Create(Unsafe.Add(ref w3, at));
            a30 = TS.MultiplyAdd(s, x0, a30); a31 = TS.MultiplyAdd(s, x1, a31);
            s = TS.Create(Unsafe.Add(ref w4, at));
            a40 = TS.MultiplyAdd(s, x0, a40); a41 = TS.MultiplyAdd(s, x1, a41);
            s = TS.Create(Unsafe.Add(ref w5, at));
            a50 = TS.MultiplyAdd(s, x0, a50); a51 = TS.MultiplyAdd(s, x1, a51);
        }
        Store2<TS, TVec>(ref Row(ref yT, o.O0, paddedRows), r0, a00, a01);
        Store2<TS, TVec>(ref Row(ref yT, o.O1, paddedRows), r0, a10, a11);
        Store2<TS, TVec>(ref Row(ref yT, o.O2, paddedRows), r0, a20, a21);
        Store2<TS, TVec>(ref Row(ref yT, o.O3, paddedRows), r0, a30, a31);
        Store2<TS, TVec>(ref Row(ref yT, o.O4, paddedRows), r0, a40, a41);
        Store2<TS, TVec>(ref Row(ref yT, o.O5, paddedRows), r0, a50, a51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<TS, TVec>(ref float row, int r0, TVec c0, TVec c1)
        where TS : ISimd<TVec> where TVec : struct
    {
        TS.Store(c0, ref row, (nuint)r0);
        TS.Store(c1, ref row, (nuint)r0 + (nuint)TS.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BatchTile1<TS, TVec, TInputs>(ref float yT, ref float xT, ref float w, ReadOnlySpan<float> bias, BatchShape shape, TInputs inputs, int paddedRows, int r0, int o0)
        where TS : ISimd<TVec> where TVec : struct where TInputs : struct, IInputs<TInputs>
    {
        int n = shape.Outputs, stride = shape.Inner;
        var o = new TileOutputs(o0, n);
        ref float w0 = ref Row(ref w, o.O0, stride), w1 = ref Row(ref w, o.O1, stride), w2 = ref Row(ref w, o.O2, stride);
        ref float w3 = ref Row(ref w, o.O3, stride), w4 = ref Row(ref w, o.O4, stride), w5 = ref Row(ref w, o.O5, stride);
        TVec a0 = BiasOf<TS, TVec>(bias, o.O0), a1 = BiasOf<TS, TVec>(bias, o.O1), a2 = BiasOf<TS, TVec>(bias, o.O2);
        TVec a3 = BiasOf<TS, TVec>(bias, o.O3), a4 = BiasOf<TS, TVec>(bias, o.O4), a5 = BiasOf<TS, TVec>(bias, o.O5);
        ref float x0k = ref Unsafe.Add(ref xT, r0);
        for (nuint i = 0; i < inputs.Count; i++)
        {
            InputOffsets offsets = inputs.At(i);
            nint at = offsets.Weight;
            TVec x0 = TS.Load(ref Unsafe.Add(ref x0k, offsets.Transposed), 0);
            a0 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref w0, at)), x0, a0);
            a1 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref w1, at)), x0, a1);
            a2 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref w2, at)), x0, a2);
            a3 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref w3, at)), x0, a3);
            a4 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref w4, at)), x0, a4);
            a5 = TS.MultiplyAdd(TS.Create(Unsafe.Add(ref w5, at)), x0, a5);
        }
        TS.Store(a0, ref Row(ref yT, o.O0, paddedRows), (nuint)r0);
        TS.Store(a1, ref Row(ref yT, o.O1, paddedRows), (nuint)r0);
        TS.Store(a2, ref Row(ref yT, o.O2, paddedRows), (nuint)r0);
        TS.Store(a3, ref Row(ref yT, o.O3, paddedRows), (nuint)r0);
        TS.Store(a4, ref Row(ref yT, o.O4, paddedRows), (nuint)r0);
        TS.Store(a5, ref Row(ref yT, o.O5, paddedRows), (nuint)r0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4<TS, TVec>(ref float row, int r0, TVec c0, TVec c1, TVec c2, TVec c3)
        where TS : ISimd<TVec> where TVec : struct
    {
        Store2<TS, TVec>(ref row, r0, c0, c1);
        Store2<TS, TVec>(ref row, r0 + 2 * TS.Count, c2, c3);
    }
}
