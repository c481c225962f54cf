using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen;

// dW += dyᵀ·x on an input that is mostly zero (skipZeroInputs: the model's input, images), element by element. An MNIST
// digit has ink in 19% of its pixels, where the column strips of the dense tiles keep 72% of the rows, so here each
// pair of neighbouring columns of x gets the list of the rows where either is nonzero (22.5% of them: the ink of
// neighbouring pixels mostly comes together), and a column of dW is the sum over that list of value · (the row of dy):
// per listed row, 8 loads of a panel of dy (128 outputs) feed 16 FMAs, 8 for each column of the pair, one panel at a
// time. With sparse operands every FMA needs a vector of dy, which is why pairs: one column at a time, every FMA needed
// a load of its own and the sums ran at about one FMA a cycle. Loads alone do not explain that (this core takes two
// 512-bit loads a cycle from L1); the chains probably do: one column gives each of its 8 accumulators one FMA per
// listed row, so 8 FMAs per 4-cycle FMA latency at best, the core's whole FMA rate with no slack. A pair has 16. The
// sums come out along the outputs (a column of dW), so each 16 columns are transposed into dW through registers. Every
// dW value is the sum of the same nonzero terms in the same row order as the dense product's (a zero term would add ±0,
// which changes nothing), so the result is the same, up to the sign of a zero sum. On a 64-image MNIST batch
// (bench/products.sh): 82-86 µs with the column strips, 59-60 µs with one column at a time, 48-49 µs so on one thread;
// 45-46, 33-34 and 27 µs on two. Of the 48: listing the nonzero values and packing dy about 3 µs, the transposes into
// dW 18 (64 shuffles a block), the sums the rest. For a weight stored transposed (LinearBackwardWeightTransposed) a
// column's sums are a row of dWᵀ, stored as they are: 41 µs against 51 into dW in the same run (24 and 28 on two
// threads); the transposes had partly overlapped the sums.
public static partial class Kernels
{
    // Columns of x per unit of work: one 16 × 16 block of the transpose into dW.
    private const int SparseUnitColumns = 16;

    // Outputs per panel of dy: 8 vectors, 8 accumulators.
    private const int SparsePanelOutputs = 128;

    /// <summary>Whether <see cref="SparseWeightGradient"/> serves a product: 512-bit vectors, whole units and panels.</summary>
    private static bool SparseWeightGradientFits(Shape shape)
        => BothSizes512(shape) && shape.K % SparseUnitColumns == 0 && shape.N % SparsePanelOutputs == 0 && shape.Rows % 16 == 0;

    /// <summary>Whether both of a product's sizes take 512-bit vectors, as the sparse kernels are written for them.</summary>
    private static bool BothSizes512(Shape shape) => Widths.For(shape.K) == VectorWidth.V512 && Widths.For(shape.N) == VectorWidth.V512;

    private unsafe struct SparseProduct
    {
        public float* Dw, Panels, X;

        /// <summary>The bias's gradient, or null; and dy (rows, N), from which it sums.</summary>
        public float* Bias, Dy;
        public Shape Shape;
        public bool Accumulate, Transposed;
    }

    // dw (outFeatures, inFeatures), or with `transposed` dwT (inFeatures, outFeatures).
    private static unsafe void SparseWeightGradient(ref float dw, ref float dbias, ref float dy, ref float x, Shape shape, bool accumulate, bool transposed = false)
    {
        // dy in panels of 128 outputs, each row of a panel contiguous (512 bytes): dy's own rows are N floats apart,
        // and at N = 256 one half of each of 64 rows falls into half of L1's sets.
        int rows = shape.Rows, n = shape.N, panels = n / SparsePanelOutputs;
        ref float packed = ref Scratch(ref t_transposedOutput, rows * n);
        for (int p = 0; p < panels; p++)
            CopyColumns(ref Unsafe.Add(ref packed, (nint)p * rows * SparsePanelOutputs), ref dy, rows, n, p * SparsePanelOutputs, SparsePanelOutputs);
        fixed (float* pdw = &dw, pdb = &dbias, pdy = &dy, px = &x, pPanels = &packed)
        {
            var product = new SparseProduct { Dw = pdw, Bias = pdb, Dy = pdy, Panels = pPanels, X = px, Shape = shape, Accumulate = accumulate, Transposed = transposed };
            KernelThreads.For(shape.K / SparseUnitColumns, &product, &SparseWeightGradientPart, minimumPerThread: 1);
        }
    }

    // Columns [16·begin, 16·end) of dw, every output. The lists first, then one panel of dy at a time (32 KB, which
    // stays in L1 while every column of the chunk sums from it; two panels at once, 64 KB, did not fit: 62-64 µs for
    // the MNIST batch against 59-60 so), each unit's 16 × 128 sums transposed into dw as soon as they are done.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SparseWeightGradientPart(void* state, int begin, int end)
    {
        var p = (SparseProduct*)state;
        Shape shape = p->Shape;
        int rows = shape.Rows, k = shape.K, n = shape.N, units = end - begin;
        // This thread's scratch: every unit's lists (8 pairs of columns: rows, a pair's rows + 16 apart; values, a
        // column's rows + 16 apart) and counts, the sums of one unit in one panel (16 × 128) and a 16 × 16 block.
        int stride = rows + 16, unitLists = SparseUnitColumns * stride, pairs = SparseUnitColumns / 2;
        ref int listRows = ref Scratch(ref t_listedIndices, units * (unitLists + pairs));
        ref int counts = ref Unsafe.Add(ref listRows, units * unitLists);
        ref float listValues = ref Scratch(ref t_transposedInput, units * unitLists + SparseUnitColumns * SparsePanelOutputs + 256);
        ref float sums = ref Unsafe.Add(ref listValues, units * unitLists);
        ref float block = ref Unsafe.Add(ref sums, SparseUnitColumns * SparsePanelOutputs);
        for (int u = 0; u < units; u++)
        {
            ListNonzeroByColumnPair(ref Unsafe.AsRef<float>(p->X + (begin + u) * SparseUnitColumns), k, rows,
                ref Unsafe.Add(ref listRows, u * unitLists), ref Unsafe.Add(ref listValues, u * unitLists), ref Unsafe.Add(ref counts, u * pairs), ref block);
        }
        for (int panel = 0; panel < n / SparsePanelOutputs; panel++)
        {
            ref float dyPanel = ref Unsafe.AsRef<float>(p->Panels + (nint)panel * rows * SparsePanelOutputs);
            for (int u = 0; u < units; u++)
            {
                int c0 = (begin + u) * SparseUnitColumns;
                for (int pair = 0; pair < pairs; pair++)
                {
                    // The pair's sums: into dwT's rows c and c + 1 (this panel's outputs), or into `sums` to transpose.
                    ref float first = ref p->Transposed
                        ? ref Unsafe.AsRef<float>(p->Dw + (nint)(c0 + 2 * pair) * n + panel * SparsePanelOutputs)
                        : ref Unsafe.Add(ref sums, 2 * pair * SparsePanelOutputs);
                    int second = p->Transposed ? n : SparsePanelOutputs;
                    SumListedPair(ref dyPanel, ref Unsafe.Add(ref listRows, u * unitLists + pair * stride),
                        ref Unsafe.Add(ref listValues, u * unitLists + 2 * pair * stride), stride, Unsafe.Add(ref counts, u * pairs + pair),
                        ref first, ref Unsafe.Add(ref first, second), add: p->Transposed && p->Accumulate);
                }
                if (p->Transposed) continue;
                // dw[o, c0 + c] (+)= sums[c, o], 16 outputs at a time, transposed through registers.
                for (int o = 0; o < SparsePanelOutputs; o += 16)
                {
                    Transpose16x16(ref Unsafe.AsRef<float>(p->Dw + (nint)(panel * SparsePanelOutputs + o) * k + c0), k,
                        ref Unsafe.Add(ref sums, o), SparsePanelOutputs, add: p->Accumulate);
                }
            }
        }
        if (p->Bias != null) BiasGradientShare(ref *p->Bias, ref *p->Dy, rows, n, begin, end, k / SparseUnitColumns, p->Accumulate);
    }

    // For each of 8 pairs of neighbouring columns among 16 of x (from `column`, rows K apart), the rows where either
    // column is nonzero, in order, and both columns' values there (one of them may be zero): pair q's rows at
    // [q·stride, q·stride + counts[q]) of listRows, its columns' values at the same offsets from 2q·stride and
    // (2q + 1)·stride of listValues; stride = rows + 16 (a compressed vector may overrun). A value counts as nonzero
    // when any bit is set, so −0 and NaN are kept, as the dense product would use them. The block is transposed 16
    // rows at a time through `block`, so each column's values lie in one vector, whose lanes and row numbers are
    // compressed into the lists. (A pair shares its loads of dy, which bound the sums: neighbouring pixels are mostly
    // inked in the same images, so a pair's list is not much longer than one column's.)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ListNonzeroByColumnPair(ref float column, int k, int rows, ref int listRows, ref float listValues, ref int counts, ref float block)
    {
        int stride = rows + 16;
        for (int q = 0; q < SparseUnitColumns / 2; q++) Unsafe.Add(ref counts, q) = 0;
        for (int r0 = 0; r0 < rows; r0 += 16)
        {
            Transpose16x16(ref block, 16, ref Row(ref column, r0, k), k);
            Vector512<int> rowNumbers = Vector512<int>.Indices + Vector512.Create(r0);
            for (int q = 0; q < SparseUnitColumns / 2; q++)
            {
                Vector512<float> first = Vector512.LoadUnsafe(ref block, (nuint)(32 * q)), second = Vector512.LoadUnsafe(ref block, (nuint)(32 * q + 16));
                Vector512<uint> nonzero = ~Vector512.Equals(first.AsUInt32() | second.AsUInt32(), Vector512<uint>.Zero);
                ref int count = ref Unsafe.Add(ref counts, q);
                Avx512F.Compress(Vector512<float>.Zero, nonzero.AsSingle(), first).StoreUnsafe(ref listValues, (nuint)(2 * q * stride + count));
                Avx512F.Compress(Vector512<float>.Zero, nonzero.AsSingle(), second).StoreUnsafe(ref listValues, (nuint)((2 * q + 1) * stride + count));
                Avx512F.Compress(Vector512<int>.Zero, nonzero.AsInt32(), rowNumbers).StoreUnsafe(ref listRows, (nuint)(q * stride + count));
                count += System.Numerics.BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
            }
        }
    }

    // first[0 .. 128) and second[0 .. 128) = Σ over a pair's list of each column's value · (that row of the panel), in
    // list order, each sum from +0: 16 chains, and each load of dy serves two FMAs. A zero value adds ±0 to its sum,
    // which changes nothing (the sum is stored + 0). With `add`, each sum is added to what the destination holds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumListedPair(ref float dyPanel, ref int listRows, ref float listValues, int stride, int count, ref float first, ref float second, bool add)
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        ref float secondValues = ref Unsafe.Add(ref listValues, stride);
        for (int i = 0; i < count; i++)
        {
            var s = Vector512.Create(Unsafe.Add(ref listValues, i));
            var t = Vector512.Create(Unsafe.Add(ref secondValues, i));
            ref float g = ref Unsafe.Add(ref dyPanel, (nint)Unsafe.Add(ref listRows, i) * SparsePanelOutputs);
            var d = Vector512.LoadUnsafe(ref g, 0);
            a0 = Vector512.FusedMultiplyAdd(d, s, a0); b0 = Vector512.FusedMultiplyAdd(d, t, b0);
            d = Vector512.LoadUnsafe(ref g, 16);
            a1 = Vector512.FusedMultiplyAdd(d, s, a1); b1 = Vector512.FusedMultiplyAdd(d, t, b1);
            d = Vector512.LoadUnsafe(ref g, 32);
            a2 = Vector512.FusedMultiplyAdd(d, s, a2); b2 = Vector512.FusedMultiplyAdd(d, t, b2);
            d = Vector512.LoadUnsafe(ref g, 48);
            a3 = Vector512.FusedMultiplyAdd(d, s, a3); b3 = Vector512.FusedMultiplyAdd(d, t, b3);
            d = Vector512.LoadUnsafe(ref g, 64);
            a4 = Vector512.FusedMultiplyAdd(d, s, a4); b4 = Vector512.FusedMultiplyAdd(d, t, b4);
            d = Vector512.LoadUnsafe(ref g, 80);
            a5 = Vector512.FusedMultiplyAdd(d, s, a5); b5 = Vector512.FusedMultiplyAdd(d, t, b5);
            d = Vector512.LoadUnsafe(ref g, 96);
            a6 = Vector512.FusedMultiplyAdd(d, s, a6); b6 = Vector512.FusedMultiplyAdd(d, t, b6);
            d = Vector512.LoadUnsafe(ref g, 112);
            a7 = Vector512.FusedMultiplyAdd(d, s, a7); b7 = Vector512.FusedMultiplyAdd(d, t, b7);
        }
        PutSums(ref first, a0, a1, a2, a3, a4, a5, a6, a7, add);
        PutSums(ref second, b0, b1, b2, b3, b4, b5, b6, b7, add);
    }

    // Stores 128 sums, each as sum + 0, which makes a −0 sum (from products that underflow) +0, as adding it into
    // zeros would; with `add`, as destination + (sum + 0), as the transposes into dw add them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutSums(ref float d, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7, bool add)
    {
        var zero = Vector512<float>.Zero;
        Put(ref d, s0 + zero, add); Put(ref Unsafe.Add(ref d, 16), s1 + zero, add); Put(ref Unsafe.Add(ref d, 32), s2 + zero, add); Put(ref Unsafe.Add(ref d, 48), s3 + zero, add);
        Put(ref Unsafe.Add(ref d, 64), s4 + zero, add); Put(ref Unsafe.Add(ref d, 80), s5 + zero, add); Put(ref Unsafe.Add(ref d, 96), s6 + zero, add); Put(ref Unsafe.Add(ref d, 112), s7 + zero, add);
    }
}
