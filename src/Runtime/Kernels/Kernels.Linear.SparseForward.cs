using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen;

// y = x·wᵀ + bias on an input that is mostly zero (skipZeroInputs: the model's input, images), for a batch. The batch
// tiles keep rows in the vector lanes, so a feature can be skipped only where it is zero in all 32 or 64 rows of a
// block (an MNIST digit has ink in 19% of its pixels, but 58-63% of them are inked somewhere in 32-64 digits). Here
// the outputs are in the lanes instead and the rows are broadcast, so a tile of 4 rows × 64 outputs sums only the
// features that are nonzero in one of its 4 rows: 39% of them on MNIST. That needs w's columns contiguous, so w is
// first transposed into scratch (wᵀ, inFeatures × outFeatures); y comes out row-major, with no transpose back. On a
// 64-image MNIST batch (bench/products.sh): 71-72 µs with the batch tiles, 63 µs so on one thread (17 of them the
// transpose of w); 37 and 34 µs on two. Each output is the bias, then value · weight for each listed feature in order,
// one FMA each, as in the batch tiles: a feature listed here but zero in a row adds ±0, which changes nothing, so
// the result is the batch tiles' up to the sign of a zero result (and a NaN or ∞ weight facing a zero gives no NaN).
public static partial class Kernels
{
    // Outputs per tile: 4 vectors, which with 4 rows make 16 accumulators; per listed feature 4 loads of wᵀ and 4
    // broadcasts of x feed 16 FMAs.
    private const int SparseForwardOutputs = 64;

    // Rows per tile, which share one list of features.
    private const int SparseForwardRows = 4;

    /// <summary>Whether <see cref="SparseForward"/> serves a product: 512-bit vectors, whole 16-feature blocks and 64-output tiles, a batch.</summary>
    private static bool SparseForwardFits(Shape shape)
        => BothSizes512(shape) && shape.K % 16 == 0 && shape.N % SparseForwardOutputs == 0 && shape.Rows >= 32;

    private unsafe struct SparseForwardProduct
    {
        public float* Y, X, W, WT, Bias;
        public Shape Shape;
    }

    // Threads split the outputs: each transposes the rows of w for its own outputs and sums them for every row, so
    // no thread reads what another wrote (split by rows, each would read the whole of wᵀ, half of it from the other
    // core's cache: 40.7 µs on two threads against 34 so). Each thread lists the features of every 4 rows itself.
    private static unsafe void SparseForward(ref float y, ref float x, ref float w, ReadOnlySpan<float> bias, Shape shape)
    {
        ref float wT = ref Scratch(ref t_transposedOutput, shape.K * shape.N);
        fixed (float* py = &y, px = &x, pw = &w, pwT = &wT, pBias = bias)
        {
            var product = new SparseForwardProduct { Y = py, X = px, W = pw, WT = pwT, Bias = pBias, Shape = shape };
            KernelThreads.For(shape.N / SparseForwardOutputs, &product, &SparseForwardPart, minimumPerThread: 2);
        }
    }

    // Outputs [64·begin, 64·end), every row. First wᵀ's columns for them (w's rows), 16 rows of wᵀ at a time, so
    // that the stores fill a few kilobytes of wᵀ in turn: along w's rows instead, each 16 × 16 block stores into 16
    // rows of wᵀ 1 KB apart, which fall into 4 of L1's 64 sets (at 256 × 784, 36 µs against 17). Then the rows, 4 at
    // a time; a last group of fewer than 4 repeats its last row, whose sums are then computed twice and stored twice.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SparseForwardPart(void* state, int begin, int end)
    {
        var p = (SparseForwardProduct*)state;
        Shape shape = p->Shape;
        int k = shape.K, n = shape.N, last = shape.Rows - 1;
        int o0 = SparseForwardOutputs * begin, o1 = SparseForwardOutputs * end;
        for (int c0 = 0; c0 < k; c0 += 16)
            Transpose(ref p->WT[(nint)c0 * n + o0], n, ref p->W[(nint)o0 * k + c0], k, o1 - o0, 16);
        ref int list = ref Scratch(ref t_listedIndices, k + 16);
        for (int r0 = 0; r0 <= last; r0 += SparseForwardRows)
        {
            var rows = new TileRows(r0, last);
            ref float x0 = ref p->X[(nint)rows.R0 * k], x1 = ref p->X[(nint)rows.R1 * k];
            ref float x2 = ref p->X[(nint)rows.R2 * k], x3 = ref p->X[(nint)rows.R3 * k];
            int count = ListNonzeroInAnyOf4(ref x0, ref x1, ref x2, ref x3, k, ref list);
            for (int o = o0; o < o1; o += SparseForwardOutputs)
                SparseForwardTile(p, ref x0, ref x1, ref x2, ref x3, ref list, count, rows, o);
        }
    }

    /// <summary>The 4 rows of a tile from its first; past the last row of the batch it repeats that one.</summary>
    private readonly struct TileRows(int r0, int last)
    {
        public readonly int R0 = r0, R1 = Math.Min(r0 + 1, last), R2 = Math.Min(r0 + 2, last), R3 = Math.Min(r0 + 3, last);
    }

    // The features (in order) where any of 4 rows holds a nonzero value, any bit set: −0 and NaN are kept, as the
    // batch tiles would use them. Written to list, which has room for k + 16 (a compressed vector may overrun);
    // returns how many.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ListNonzeroInAnyOf4(ref float x0, ref float x1, ref float x2, ref float x3, int k, ref int list)
    {
        int count = 0;
        for (int c = 0; c < k; c += 16)
        {
            Vector512<uint> any = Vector512.LoadUnsafe(ref x0, (nuint)c).AsUInt32() | Vector512.LoadUnsafe(ref x1, (nuint)c).AsUInt32()
                | Vector512.LoadUnsafe(ref x2, (nuint)c).AsUInt32() | Vector512.LoadUnsafe(ref x3, (nuint)c).AsUInt32();
            Vector512<uint> nonzero = ~Vector512.Equals(any, Vector512<uint>.Zero);
            Avx512F.Compress(Vector512<int>.Zero, nonzero.AsInt32(), Vector512<int>.Indices + Vector512.Create(c)).StoreUnsafe(ref list, (nuint)count);
            count += System.Numerics.BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
        }
        return count;
    }

    // y[r, o0 .. o0 + 64) for the tile's 4 rows: from the bias, one FMA per listed feature, row by row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SparseForwardTile(SparseForwardProduct* p, ref float x0, ref float x1, ref float x2, ref float x3, ref int list, int count, TileRows rows, int o0)
    {
        int n = p->Shape.N;
        Vector512<float> b0 = Vector512<float>.Zero, b1 = b0, b2 = b0, b3 = b0;
        if (p->Bias != null)
        {
            b0 = Vector512.Load(p->Bias + o0); b1 = Vector512.Load(p->Bias + o0 + 16);
            b2 = Vector512.Load(p->Bias + o0 + 32); b3 = Vector512.Load(p->Bias + o0 + 48);
        }
        Vector512<float> a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        Vector512<float> a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        float* wT = p->WT + o0;
        for (int i = 0; i < count; i++)
        {
            nint c = Unsafe.Add(ref list, i);
            float* wc = wT + c * n;
            Vector512<float> w0 = Vector512.Load(wc), w1 = Vector512.Load(wc + 16), w2 = Vector512.Load(wc + 32), w3 = Vector512.Load(wc + 48);
            var s = Vector512.Create(Unsafe.Add(ref x0, c));
            a00 = Vector512.FusedMultiplyAdd(w0, s, a00); a01 = Vector512.FusedMultiplyAdd(w1, s, a01);
            a02 = Vector512.FusedMultiplyAdd(w2, s, a02); a03 = Vector512.FusedMultiplyAdd(w3, s, a03);
            s = Vector512.Create(Unsafe.Add(ref x1, c));
            a10 = Vector512.FusedMultiplyAdd(w0, s, a10); a11 = Vector512.FusedMultiplyAdd(w1, s, a11);
            a12 = Vector512.FusedMultiplyAdd(w2, s, a12); a13 = Vector512.FusedMultiplyAdd(w3, s, a13);
            s = Vector512.Create(Unsafe.Add(ref x2, c));
            a20 = Vector512.FusedMultiplyAdd(w0, s, a20); a21 = Vector512.FusedMultiplyAdd(w1, s, a21);
            a22 = Vector512.FusedMultiplyAdd(w2, s, a22); a23 = Vector512.FusedMultiplyAdd(w3, s, a23);
            s = Vector512.Create(Unsafe.Add(ref x3, c));
            a30 = Vector512.FusedMultiplyAdd(w0, s, a30); a31 = Vector512.FusedMultiplyAdd(w1, s, a31);
            a32 = Vector512.FusedMultiplyAdd(w2, s, a32); a33 = Vector512.FusedMultiplyAdd(w3, s, a33);
        }
        Store4<Simd512, Vector512<float>>(ref p->Y[(nint)rows.R0 * n], o0, a00, a01, a02, a03);
        Store4<Simd512, Vector512<float>>(ref p->Y[(nint)rows.R1 * n], o0, a10, a11, a12, a13);
        Store4<Simd512, Vector512<float>>(ref p->Y[(nint)rows.R2 * n], o0, a20, a21, a22, a23);
        Store4<Simd512, Vector512<float>>(ref p->Y[(nint)rows.R3 * n], o0, a30, a31, a32, a33);
    }
}
