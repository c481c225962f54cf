using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

/// <summary>An element-wise operation y = f(x), written once for every width (<see cref="Simd1"/> is the scalar one).</summary>
internal interface IUnaryOperator
{
    static abstract TVec Invoke<TS, TVec>(TVec x) where TS : ISimd<TVec> where TVec : struct;
}

/// <summary>An element-wise operation y = f(a, b), written once for every width.</summary>
internal interface IBinaryOperator
{
    static abstract TVec Invoke<TS, TVec>(TVec a, TVec b) where TS : ISimd<TVec> where TVec : struct;
}

/// <summary>
/// The layer kernels the generated models call. Shapes are row-major; <c>rows</c> is the number of valid rows and
/// every span is at least as long as the shapes need (longer is fine: the rest is not touched). Lengths are checked
/// once per call; inner loops run on unchecked references. Activation gradients are overwritten (<c>dx = …</c>),
/// parameter gradients accumulate (<c>dW += …</c>). Outputs must not overlap inputs, except where a method says so
/// (the element-wise kernels may run in place). Nothing allocates after the first call with given sizes.
/// </summary>
/// <remarks>
/// The methods that hold the loops are marked <see cref="MethodImplOptions.AggressiveOptimization"/>: they are
/// compiled fully optimised on first use instead of starting in tier 0, where the vector helpers are not inlined and
/// a product runs some thirty times slower until tiering catches up (a whole first epoch, measured, for a kernel only
/// reached through a function pointer).
/// </remarks>
public static partial class Kernels
{
    // The loop, once: whole vectors, then one overlapping last vector whose already-written lanes are kept, so there is
    // no scalar tail. Inputs shorter than a vector drop to a narrower width, down to one lane.
    // y may be x itself (in place); it must not overlap x otherwise.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOp>(Span<float> y, ReadOnlySpan<float> x) where TOp : IUnaryOperator
    {
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length;
        switch (Widths.For(x.Length))
        {
            case VectorWidth.V512: Map<TOp, Simd512, Vector512<float>>(ref yRef, ref xRef, n); break;
            case VectorWidth.V256: Map<TOp, Simd256, Vector256<float>>(ref yRef, ref xRef, n); break;
            case VectorWidth.V128: Map<TOp, Simd128, Vector128<float>>(ref yRef, ref xRef, n); break;
            default: Map<TOp, Simd1, float>(ref yRef, ref xRef, n); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOp, TS, TVec>(ref float y, ref float x, nuint n)
        where TOp : IUnaryOperator where TS : ISimd<TVec> where TVec : struct
    {
        nuint width = (nuint)TS.Count, i = 0;
        for (; i + width <= n; i += width)
            TS.Store(TOp.Invoke<TS, TVec>(TS.Load(ref x, i)), ref y, i);
        if (i < n)
        {
            nuint last = n - width;
            TVec fresh = TS.LanesFrom((int)(i - last));
            TVec result = TOp.Invoke<TS, TVec>(TS.Load(ref x, last));
            TS.Store(TS.Select(fresh, result, TS.Load(ref y, last)), ref y, last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOp>(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<float> b) where TOp : IBinaryOperator
    {
        ref float aRef = ref MemoryMarshal.GetReference(a);
        ref float bRef = ref MemoryMarshal.GetReference(b);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)a.Length;
        switch (Widths.For(a.Length))
        {
            case VectorWidth.V512: Map<TOp, Simd512, Vector512<float>>(ref yRef, ref aRef, ref bRef, n); break;
            case VectorWidth.V256: Map<TOp, Simd256, Vector256<float>>(ref yRef, ref aRef, ref bRef, n); break;
            case VectorWidth.V128: Map<TOp, Simd128, Vector128<float>>(ref yRef, ref aRef, ref bRef, n); break;
            default: Map<TOp, Simd1, float>(ref yRef, ref aRef, ref bRef, n); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOp, TS, TVec>(ref float y, ref float a, ref float b, nuint n)
        where TOp : IBinaryOperator where TS : ISimd<TVec> where TVec : struct
    {
        nuint width = (nuint)TS.Count, i = 0;
        for (; i + width <= n; i += width)
            TS.Store(TOp.Invoke<TS, TVec>(TS.Load(ref a, i), TS.Load(ref b, i)), ref y, i);
        if (i < n)
        {
            nuint last = n - width;
            TVec fresh = TS.LanesFrom((int)(i - last));
            TVec result = TOp.Invoke<TS, TVec>(TS.Load(ref a, last), TS.Load(ref b, last));
            TS.Store(TS.Select(fresh, result, TS.Load(ref y, last)), ref y, last);
        }
    }

    /// <summary>Sets every value of <paramref name="values"/> to zero, split over the kernel threads when it is long.</summary>
    /// <param name="values">The values to clear (a model's gradients, say).</param>
    public static unsafe void Clear(Span<float> values)
    {
        fixed (float* p = values)
        {
            var operands = new MapOperands { Y = p, Length = values.Length };
            KernelThreads.For(KernelThreads.ChunkCount(values.Length, ClearChunk), &operands, &ClearChunks, minimumPerThread: 4);
        }
    }

    private const int ClearChunk = 16384;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ClearChunks(void* state, int begin, int end)
    {
        var p = (MapOperands*)state;
        (int start, int stop) = KernelThreads.ChunkValues(p->Length, ClearChunk, begin, end);
        new Span<float>(p->Y + start, stop - start).Clear();
    }

    // Costly element-wise operations (GELU) split over threads in chunks of this many values; the last chunk takes the
    // remainder, so every chunk is at least one vector long and runs the same loop as the whole span would.
    private const int MapChunk = 2048;

    /// <summary>The operands of an element-wise kernel, pinned by the caller for the duration of the call.</summary>
    private unsafe struct MapOperands
    {
        public float* Y, A, B;
        public double* D;
        public int Length;
    }

    /// <summary><see cref="Map{TOp}(Span{float}, ReadOnlySpan{float})"/> split over the kernel threads.</summary>
    private static unsafe void MapInParallel<TOp>(Span<float> y, ReadOnlySpan<float> x) where TOp : IUnaryOperator
    {
        fixed (float* py = y, px = x)
        {
            var operands = new MapOperands { Y = py, A = px, Length = x.Length };
            KernelThreads.For(KernelThreads.ChunkCount(x.Length, MapChunk), &operands, &MapChunks<TOp>, minimumPerThread: 2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MapChunks<TOp>(void* state, int begin, int end) where TOp : IUnaryOperator
    {
        var p = (MapOperands*)state;
        (int start, int stop) = KernelThreads.ChunkValues(p->Length, MapChunk, begin, end);
        Map<TOp>(new Span<float>(p->Y + start, stop - start), new ReadOnlySpan<float>(p->A + start, stop - start));
    }

    /// <summary><see cref="Map{TOp}(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/> split over the kernel threads.</summary>
    private static unsafe void MapInParallel<TOp>(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<float> b) where TOp : IBinaryOperator
    {
        fixed (float* py = y, pa = a, pb = b)
        {
            var operands = new MapOperands { Y = py, A = pa, B = pb, Length = a.Length };
            KernelThreads.For(KernelThreads.ChunkCount(a.Length, MapChunk), &operands, &MapChunks2<TOp>, minimumPerThread: 2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MapChunks2<TOp>(void* state, int begin, int end) where TOp : IBinaryOperator
    {
        var p = (MapOperands*)state;
        (int start, int stop) = KernelThreads.ChunkValues(p->Length, MapChunk, begin, end);
        int length = stop - start;
        Map<TOp>(new Span<float>(p->Y + start, length), new ReadOnlySpan<float>(p->A + start, length), new ReadOnlySpan<float>(p->B + start, length));
    }

    // y = TF(x) rounded once, and second = TF's second result in double, for the n values of x. The last vector
    // overlaps the one before and recomputes its lanes from x, which gives the same values again: so y must not
    // overlap x, whose values there must still be the inputs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MapSaving<TF, TS, TVec>(ref float y, ref double second, ref float x, nuint n)
        where TF : IDoubleFunctionPair where TS : ISimd<TVec> where TVec : struct
    {
        nuint width = (nuint)TS.Count, i = typeof(TS) == typeof(Simd512) ? MapSavingPairs512<TF>(ref y, ref second, ref x, n) : 0;
        for (; i + width <= n; i += width)
            TS.Store(TS.InDouble<TF>(TS.Load(ref x, i), ref second, i), ref y, i);
        if (i < n)
        {
            nuint last = n - width;
            TS.Store(TS.InDouble<TF>(TS.Load(ref x, last), ref second, last), ref y, last);
        }
    }

    // MapSaving's 512-bit loop, two vectors at a time (Simd512's pair InDouble); returns how many values it did. A
    // method of its own: in MapSaving's body the one-vector loop that follows it lost its registers to the stack.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static nuint MapSavingPairs512<TF>(ref float y, ref double second, ref float x, nuint n) where TF : IDoubleFunctionPair
    {
        nuint pair = 2 * (nuint)Vector512<float>.Count, i = 0;
        for (; i + pair <= n; i += pair)
        {
            var (y0, y1) = Simd512.InDouble<TF>(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref x, i + pair / 2), ref second, i);
            y0.StoreUnsafe(ref y, i);
            y1.StoreUnsafe(ref y, i + pair / 2);
        }
        return i;
    }

    /// <summary><see cref="MapSaving{TF, TS, TVec}"/> split over the kernel threads.</summary>
    private static unsafe void MapSavingInParallel<TF>(Span<float> y, Span<double> second, ReadOnlySpan<float> x) where TF : IDoubleFunctionPair
    {
        fixed (float* py = y, px = x)
        fixed (double* pd = second)
        {
            var operands = new MapOperands { Y = py, A = px, D = pd, Length = x.Length };
            KernelThreads.For(KernelThreads.ChunkCount(x.Length, MapChunk), &operands, &MapSavingChunks<TF>, minimumPerThread: 2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MapSavingChunks<TF>(void* state, int begin, int end) where TF : IDoubleFunctionPair
    {
        var p = (MapOperands*)state;
        (int start, int stop) = KernelThreads.ChunkValues(p->Length, MapChunk, begin, end);
        ref float y = ref p->Y[start], x = ref p->A[start];
        ref double second = ref p->D[start];
        nuint n = (nuint)(stop - start);
        switch (Widths.For(stop - start))
        {
            case VectorWidth.V512: MapSaving<TF, Simd512, Vector512<float>>(ref y, ref second, ref x, n); break;
            case VectorWidth.V256: MapSaving<TF, Simd256, Vector256<float>>(ref y, ref second, ref x, n); break;
            case VectorWidth.V128: MapSaving<TF, Simd128, Vector128<float>>(ref y, ref second, ref x, n); break;
            default: MapSaving<TF, Simd1, float>(ref y, ref second, ref x, n); break;
        }
    }

    // y = a × b over n values, each product taken in double and rounded once. y may be a itself.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyInDouble<TS, TVec>(ref float y, ref float a, ref double b, nuint n)
        where TS : ISimd<TVec> where TVec : struct
    {
        nuint width = (nuint)TS.Count, i = 0;
        for (; i + width <= n; i += width)
            TS.Store(TS.MultiplyInDouble(TS.Load(ref a, i), ref b, i), ref y, i);
        if (i < n)
        {
            nuint last = n - width;
            TVec fresh = TS.LanesFrom((int)(i - last));
            TVec result = TS.MultiplyInDouble(TS.Load(ref a, last), ref b, last);
            TS.Store(TS.Select(fresh, result, TS.Load(ref y, last)), ref y, last);
        }
    }

    /// <summary><see cref="MultiplyInDouble{TS, TVec}"/> split over the kernel threads.</summary>
    private static unsafe void MultiplyInDoubleInParallel(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        fixed (float* py = y, pa = a)
        fixed (double* pb = b)
        {
            var operands = new MapOperands { Y = py, A = pa, D = pb, Length = a.Length };
            KernelThreads.For(KernelThreads.ChunkCount(a.Length, MapChunk), &operands, &MultiplyInDoubleChunks, minimumPerThread: 2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyInDoubleChunks(void* state, int begin, int end)
    {
        var p = (MapOperands*)state;
        (int start, int stop) = KernelThreads.ChunkValues(p->Length, MapChunk, begin, end);
        ref float y = ref p->Y[start], a = ref p->A[start];
        ref double b = ref p->D[start];
        nuint n = (nuint)(stop - start);
        switch (Widths.For(stop - start))
        {
            case VectorWidth.V512: MultiplyInDouble<Simd512, Vector512<float>>(ref y, ref a, ref b, n); break;
            case VectorWidth.V256: MultiplyInDouble<Simd256, Vector256<float>>(ref y, ref a, ref b, n); break;
            case VectorWidth.V128: MultiplyInDouble<Simd128, Vector128<float>>(ref y, ref a, ref b, n); break;
            default: MultiplyInDouble<Simd1, float>(ref y, ref a, ref b, n); break;
        }
    }

    // ---- Argument checks: cheap, once per call, and each names the argument at fault. ----

    private static void CheckNonNegative(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
    }

    // One overload per element type the kernels take, so that spans and arrays convert at the call; one check.
    private static void CheckLength(ReadOnlySpan<float> span, long needed, [CallerArgumentExpression(nameof(span))] string? name = null)
        => CheckLength(span.Length, needed, name);

    private static void CheckLength(ReadOnlySpan<double> span, long needed, [CallerArgumentExpression(nameof(span))] string? name = null)
        => CheckLength(span.Length, needed, name);

    private static void CheckLength(ReadOnlySpan<int> span, long needed, [CallerArgumentExpression(nameof(span))] string? name = null)
        => CheckLength(span.Length, needed, name);

    private static void CheckLength(int length, long needed, string? name)
    {
        if (length < needed)
            throw new ArgumentException($"{name} has {length} values but the shape needs {needed}.", name);
    }
}
