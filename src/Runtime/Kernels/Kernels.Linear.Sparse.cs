using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen;

// dW += dyᵀ·x on an input that is mostly zero (skipZeroInputs: the model's input, images), element by element. An
// MNIST digit has ink in 19% of its pixels, where the column strips of the dense tiles keep 72% of the rows, so here
// each column of x gets the list of the rows where it is nonzero, and a column of dW is the sum over that list of
// value · (the row of dy): per listed value, 8 FMAs against the 8 vectors of a panel of dy (128 outputs), one panel
// at a time. The sums come out along the outputs (a column of dW), so each 16 columns are transposed into dW through
// registers. Every dW value is the sum of the same nonzero terms in the same row order as the dense product's (a zero
// term would add ±0, which changes nothing), so the result is the same, up to the sign of a zero sum. On a 64-image
// MNIST batch (bench/products.sh): 82-86 µs with the column strips, 59-60 µs so on one thread; 45-46 and 33 µs on
// two. Of the 60: listing the nonzero values and packing dy 3 µs, the sums 38 µs (short lists: each column's chains
// start and end), the transposes into dW 18 (64 shuffles a block).
public static partial class Kernels
{
    // Columns of x per unit of work: one 16 × 16 block of the transpose into dW.
    private const int SparseUnitColumns = 16;

    // Outputs per panel of dy: 8 vectors, 8 accumulators.
    private const int SparsePanelOutputs = 128;

    /// <summary>Whether <see cref="SparseWeightGradient"/> serves a product: 512-bit vectors, whole units and panels.</summary>
    private static bool SparseWeightGradientFits(Shape shape)
        => Widths.For(shape.K) == VectorWidth.V512 && Widths.For(shape.N) == VectorWidth.V512
           && shape.K % SparseUnitColumns == 0 && shape.N % SparsePanelOutputs == 0 && shape.Rows % 16 == 0;

    private unsafe struct SparseProduct
    {
        public float* Dw, Panels, X;
        public Shape Shape;
        public bool Accumulate;
    }

    private static unsafe void SparseWeightGradient(ref float dw, ref float dy, ref float x, Shape shape, bool accumulate)
    {
        // dy in panels of 128 outputs, each row of a panel contiguous (512 bytes): dy's own rows are N floats apart,
        // and at N = 256 one half of each of 64 rows falls into half of L1's sets.
        int rows = shape.Rows, n = shape.N, panels = n / SparsePanelOutputs;
        ref float packed = ref Scratch(ref t_transposedOutput, rows * n);
        for (int p = 0; p < panels; p++)
            CopyColumns(ref Unsafe.Add(ref packed, (nint)p * rows * SparsePanelOutputs), ref dy, rows, n, p * SparsePanelOutputs, SparsePanelOutputs);
        fixed (float* pdw = &dw, px = &x)
        {
            var product = new SparseProduct
            {
                Dw = pdw, Panels = (float*)Unsafe.AsPointer(ref packed), X = px, Shape = shape, Accumulate = accumulate, // scratch: an arena, pinned
            };
            KernelThreads.For(shape.K / SparseUnitColumns, &product, &SparseWeightGradientPart, minimumPerThread: 1);
        }
    }

    // Columns [16·begin, 16·end) of dw, every output. The columns' lists first, then one panel of dy at a time (32 KB,
    // which stays in L1 while every column of the chunk sums from it; two panels at once, 64 KB, did not fit: 62-64 µs
    // for the MNIST batch against 59-60 so), each unit's 16 × 128 sums transposed into dw as soon as they are done.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SparseWeightGradientPart(void* state, int begin, int end)
    {
        var p = (SparseProduct*)state;
        Shape shape = p->Shape;
        int rows = shape.Rows, k = shape.K, n = shape.N, units = end - begin;
        // This thread's scratch: every unit's lists (rows and values, a column's rows + 16 apart) and counts, the sums
        // of one unit in one panel (16 × 128) and a 16 × 16 block.
        int stride = rows + 16, unitLists = SparseUnitColumns * stride;
        ref int listRows = ref Scratch(ref t_listedIndices, units * (unitLists + SparseUnitColumns));
        ref int counts = ref Unsafe.Add(ref listRows, units * unitLists);
        ref float listValues = ref Scratch(ref t_transposedInput, units * unitLists + SparseUnitColumns * SparsePanelOutputs + 256);
        ref float sums = ref Unsafe.Add(ref listValues, units * unitLists);
        ref float block = ref Unsafe.Add(ref sums, SparseUnitColumns * SparsePanelOutputs);
        for (int u = 0; u < units; u++)
        {
            ListNonzeroByColumn(ref Unsafe.AsRef<float>(p->X + (begin + u) * SparseUnitColumns), k, rows,
                ref Unsafe.Add(ref listRows, u * unitLists), ref Unsafe.Add(ref listValues, u * unitLists), ref Unsafe.Add(ref counts, u * SparseUnitColumns), ref block);
        }
        for (int panel = 0; panel < n / SparsePanelOutputs; panel++)
        {
            ref float dyPanel = ref Unsafe.AsRef<float>(p->Panels + (nint)panel * rows * SparsePanelOutputs);
            for (int u = 0; u < units; u++)
            {
                for (int c = 0; c < SparseUnitColumns; c++)
                {
                    int at = u * unitLists + c * stride;
                    SumListed(ref dyPanel, ref Unsafe.Add(ref listRows, at), ref Unsafe.Add(ref listValues, at), Unsafe.Add(ref counts, u * SparseUnitColumns + c),
                        ref Unsafe.Add(ref sums, c * SparsePanelOutputs));
                }
                // dw[o, c0 + c] (+)= sums[c, o], 16 outputs at a time, transposed through registers.
                int c0 = (begin + u) * SparseUnitColumns;
                for (int o = 0; o < SparsePanelOutputs; o += 16)
                {
                    Transpose16x16(ref Unsafe.AsRef<float>(p->Dw + (nint)(panel * SparsePanelOutputs + o) * k + c0), k,
                        ref Unsafe.Add(ref sums, o), SparsePanelOutputs, add: p->Accumulate);
                }
            }
        }
    }

    // For each of 16 columns of x (from `column`, rows K apart), the rows where it is nonzero, in order, and the values:
    // column c's list at [c·stride, c·stride + counts[c]), stride = rows + 16 (a compressed vector may overrun). A
    // value counts as nonzero when any bit is set, so −0 and NaN are kept, as the dense product would use them. The
    // block is transposed 16 rows at a time through `block`, so each column's values lie in one vector, whose nonzero
    // lanes and row numbers are compressed into the lists.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ListNonzeroByColumn(ref float column, int k, int rows, ref int listRows, ref float listValues, ref int counts, ref float block)
    {
        int stride = rows + 16;
        for (int c = 0; c < SparseUnitColumns; c++) Unsafe.Add(ref counts, c) = 0;
        for (int r0 = 0; r0 < rows; r0 += 16)
        {
            Transpose16x16(ref block, 16, ref Row(ref column, r0, k), k);
            Vector512<int> rowNumbers = Vector512<int>.Indices + Vector512.Create(r0);
            for (int c = 0; c < SparseUnitColumns; c++)
            {
                Vector512<float> values = Vector512.LoadUnsafe(ref block, (nuint)(16 * c));
                Vector512<uint> nonzero = ~Vector512.Equals(values.AsUInt32(), Vector512<uint>.Zero);
                ref int count = ref Unsafe.Add(ref counts, c);
                Avx512F.Compress(Vector512<float>.Zero, nonzero.AsSingle(), values).StoreUnsafe(ref listValues, (nuint)(c * stride + count));
                Avx512F.Compress(Vector512<int>.Zero, nonzero.AsInt32(), rowNumbers).StoreUnsafe(ref listRows, (nuint)(c * stride + count));
                count += System.Numerics.BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
            }
        }
    }

    // sums[0 .. 128) = Σ over the listed rows of value · (that row of the panel), in list order, each sum from +0:
    // 8 chains, one load of dy per FMA.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumListed(ref float dyPanel, ref int listRows, ref float listValues, int count, ref float sums)
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int i = 0; i < count; i++)
        {
            var s = Vector512.Create(Unsafe.Add(ref listValues, i));
            ref float g = ref Unsafe.Add(ref dyPanel, (nint)Unsafe.Add(ref listRows, i) * SparsePanelOutputs);
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 0), s, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 16), s, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 32), s, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 48), s, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 64), s, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 80), s, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 96), s, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 112), s, a7);
        }
        // Stored as sum + 0, which makes a −0 sum (from products that underflow) +0, as adding it into zeros would.
        var zero = Vector512<float>.Zero;
        (a0 + zero).StoreUnsafe(ref sums, 0); (a1 + zero).StoreUnsafe(ref sums, 16); (a2 + zero).StoreUnsafe(ref sums, 32); (a3 + zero).StoreUnsafe(ref sums, 48);
        (a4 + zero).StoreUnsafe(ref sums, 64); (a5 + zero).StoreUnsafe(ref sums, 80); (a6 + zero).StoreUnsafe(ref sums, 96); (a7 + zero).StoreUnsafe(ref sums, 112);
    }
}
