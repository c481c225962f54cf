using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen;

public static partial class Kernels
{
    // Per-thread scratch for the transposed operands of a product and the strips of dW, each grown once to the largest
    // size asked for. Arenas, so that they start on a cache line and no 512-bit vector of them straddles two.
    [ThreadStatic] private static Arena<float>? t_transposedInput, t_transposedOutput;

    // Per-thread scratch for the lists of the inputs a product does not skip: input features (ForwardBatch, which
    // also keeps its per-feature flags in t_listedIndices), rows of a strip (WeightGradientPart) or whole vectors of a
    // row (ForwardTiles).
    [ThreadStatic] private static InputOffsets[]? t_activeInputs;
    [ThreadStatic] private static int[]? t_listedIndices;

    private static ref T Scratch<T>(ref T[]? scratch, int length)
    {
        if (scratch is null || scratch.Length < length) scratch = new T[length];
        return ref MemoryMarshal.GetArrayDataReference(scratch);
    }

    private static ref float Scratch(ref Arena<float>? scratch, int length)
    {
        if (scratch is null || scratch.Length < length) scratch = new Arena<float>(length);
        return ref MemoryMarshal.GetReference(scratch.Span);
    }

    /// <summary>destination (cols, rows) = source (rows, cols)ᵀ, both row-major and contiguous: a parameter tensor moved between layouts.</summary>
    internal static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        if (source.Length < rows * cols || destination.Length < rows * cols)
            throw new ArgumentException($"A ({rows}, {cols}) transpose needs {rows * cols} values; the source holds {source.Length}, the destination {destination.Length}.");
        Transpose(ref MemoryMarshal.GetReference(destination), rows, ref MemoryMarshal.GetReference(source), cols, rows, cols);
    }

    /// <summary>
    /// destination[c, r] = source[r, c] for r &lt; <paramref name="rows"/> and c &lt; <paramref name="cols"/>, each
    /// matrix row-major with its own row stride. Nothing else in <paramref name="destination"/> is written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(ref float destination, int destinationStride, ref float source, int sourceStride, int rows, int cols)
    {
        int r0 = 0;
        if (Avx512F.IsSupported && Widths.Limit is 0 or >= 512)
        {
            for (; r0 + 16 <= rows; r0 += 16)
            {
                int c0 = 0;
                for (; c0 + 16 <= cols; c0 += 16)
                {
                    Transpose16x16(ref Unsafe.Add(ref destination, (nint)c0 * destinationStride + r0), destinationStride,
                        ref Unsafe.Add(ref source, (nint)r0 * sourceStride + c0), sourceStride);
                }
                TransposeScalar(ref destination, destinationStride, ref source, sourceStride, r0, r0 + 16, c0, cols);
            }
        }
        TransposeScalar(ref destination, destinationStride, ref source, sourceStride, r0, rows, 0, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeScalar(ref float destination, int destinationStride, ref float source, int sourceStride, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            ref float row = ref Unsafe.Add(ref source, (nint)r * sourceStride);
            for (int c = colStart; c < colEnd; c++) Unsafe.Add(ref destination, (nint)c * destinationStride + r) = Unsafe.Add(ref row, c);
        }
    }

    // One 16 × 16 block through registers: 16 loads, 64 shuffles, 16 stores (with `add`, each row is added to what
    // the destination holds instead). Stage 1 interleaves pairs of rows by 32-bit lanes, stage 2 by 64-bit
    // lanes (each 128-bit block then holds a 4 × 4 transposed piece), stages 3 and 4 move the 128-bit blocks into place.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16x16(ref float d, int destinationStride, ref float s, int sourceStride, bool add = false)
    {
        nint stride = sourceStride;
        Vector512<float> a0 = Vector512.LoadUnsafe(ref s), a1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, stride));
        Vector512<float> a2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 2 * stride)), a3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 3 * stride));
        Vector512<float> a4 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 4 * stride)), a5 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 5 * stride));
        Vector512<float> a6 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 6 * stride)), a7 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 7 * stride));
        Vector512<float> a8 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 8 * stride)), a9 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 9 * stride));
        Vector512<float> a10 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 10 * stride)), a11 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 11 * stride));
        Vector512<float> a12 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 12 * stride)), a13 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 13 * stride));
        Vector512<float> a14 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 14 * stride)), a15 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 15 * stride));

        Vector512<float> t0 = Avx512F.UnpackLow(a0, a1), t1 = Avx512F.UnpackHigh(a0, a1);
        Vector512<float> t2 = Avx512F.UnpackLow(a2, a3), t3 = Avx512F.UnpackHigh(a2, a3);
        Vector512<float> t4 = Avx512F.UnpackLow(a4, a5), t5 = Avx512F.UnpackHigh(a4, a5);
        Vector512<float> t6 = Avx512F.UnpackLow(a6, a7), t7 = Avx512F.UnpackHigh(a6, a7);
        Vector512<float> t8 = Avx512F.UnpackLow(a8, a9), t9 = Avx512F.UnpackHigh(a8, a9);
        Vector512<float> t10 = Avx512F.UnpackLow(a10, a11), t11 = Avx512F.UnpackHigh(a10, a11);
        Vector512<float> t12 = Avx512F.UnpackLow(a12, a13), t13 = Avx512F.UnpackHigh(a12, a13);
        Vector512<float> t14 = Avx512F.UnpackLow(a14, a15), t15 = Avx512F.UnpackHigh(a14, a15);

        Vector512<float> u0 = Low64(t0, t2), u1 = High64(t0, t2), u2 = Low64(t1, t3), u3 = High64(t1, t3);
        Vector512<float> u4 = Low64(t4, t6), u5 = High64(t4, t6), u6 = Low64(t5, t7), u7 = High64(t5, t7);
        Vector512<float> u8 = Low64(t8, t10), u9 = High64(t8, t10), u10 = Low64(t9, t11), u11 = High64(t9, t11);
        Vector512<float> u12 = Low64(t12, t14), u13 = High64(t12, t14), u14 = Low64(t13, t15), u15 = High64(t13, t15);

        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), v1 = Avx512F.Shuffle4x128(u1, u5, 0x88);
        Vector512<float> v2 = Avx512F.Shuffle4x128(u2, u6, 0x88), v3 = Avx512F.Shuffle4x128(u3, u7, 0x88);
        Vector512<float> v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD), v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        Vector512<float> v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD), v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        Vector512<float> v8 = Avx512F.Shuffle4x128(u8, u12, 0x88), v9 = Avx512F.Shuffle4x128(u9, u13, 0x88);
        Vector512<float> v10 = Avx512F.Shuffle4x128(u10, u14, 0x88), v11 = Avx512F.Shuffle4x128(u11, u15, 0x88);
        Vector512<float> v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD), v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        Vector512<float> v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD), v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        nint p = destinationStride;
        Put(ref d, Avx512F.Shuffle4x128(v0, v8, 0x88), add);
        Put(ref Unsafe.Add(ref d, p), Avx512F.Shuffle4x128(v1, v9, 0x88), add);
        Put(ref Unsafe.Add(ref d, 2 * p), Avx512F.Shuffle4x128(v2, v10, 0x88), add);
        Put(ref Unsafe.Add(ref d, 3 * p), Avx512F.Shuffle4x128(v3, v11, 0x88), add);
        Put(ref Unsafe.Add(ref d, 4 * p), Avx512F.Shuffle4x128(v4, v12, 0x88), add);
        Put(ref Unsafe.Add(ref d, 5 * p), Avx512F.Shuffle4x128(v5, v13, 0x88), add);
        Put(ref Unsafe.Add(ref d, 6 * p), Avx512F.Shuffle4x128(v6, v14, 0x88), add);
        Put(ref Unsafe.Add(ref d, 7 * p), Avx512F.Shuffle4x128(v7, v15, 0x88), add);
        Put(ref Unsafe.Add(ref d, 8 * p), Avx512F.Shuffle4x128(v0, v8, 0xDD), add);
        Put(ref Unsafe.Add(ref d, 9 * p), Avx512F.Shuffle4x128(v1, v9, 0xDD), add);
        Put(ref Unsafe.Add(ref d, 10 * p), Avx512F.Shuffle4x128(v2, v10, 0xDD), add);
        Put(ref Unsafe.Add(ref d, 11 * p), Avx512F.Shuffle4x128(v3, v11, 0xDD), add);
        Put(ref Unsafe.Add(ref d, 12 * p), Avx512F.Shuffle4x128(v4, v12, 0xDD), add);
        Put(ref Unsafe.Add(ref d, 13 * p), Avx512F.Shuffle4x128(v5, v13, 0xDD), add);
        Put(ref Unsafe.Add(ref d, 14 * p), Avx512F.Shuffle4x128(v6, v14, 0xDD), add);
        Put(ref Unsafe.Add(ref d, 15 * p), Avx512F.Shuffle4x128(v7, v15, 0xDD), add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref float destination, Vector512<float> row, bool add)
        => (add ? Vector512.LoadUnsafe(ref destination) + row : row).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Low64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> High64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
}
