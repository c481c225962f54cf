using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen;

// dW += dyᵀ·x on an input that is mostly zero (skipZeroInputs: the model's input, images), element by element. An
// MNIST digit has ink in 19% of its pixels, where the column strips of the dense tiles keep 72% of the rows, so here
// each column of x gets the list of the rows where it is nonzero, and a column of dW is the sum over that list of
// value · (the row of dy): per listed value, 16 FMAs against 16 vectors of dy (two panels of 128 outputs). The sums
// come out along the outputs (a column of dW), so each 16 columns are transposed into dW through registers. Every dW
// value is the sum of the same nonzero terms in the same row order as the dense product's (a zero term would add ±0,
// which changes nothing), so the result is the same, up to the sign of a zero sum. On a 64-image MNIST batch
// (bench/products.sh): 82-86 µs with the column strips, 64-68 µs so on one thread; 45-46 and 35-37 µs on two.
// Of about 67: listing the nonzero values 8 µs, the sums 42 µs (one load of dy per FMA), the transposes into dW 17.
public static partial class Kernels
{
    // Columns of x per unit of work: one 16 × 16 block of the transpose into dW.
    private const int SparseUnitColumns = 16;

    // Outputs per panel of dy: 8 vectors. Panels go in pairs, 16 accumulators.
    private const int SparsePanelOutputs = 128;

    /// <summary>Whether <see cref="SparseWeightGradient"/> serves a product: 512-bit vectors, whole units and pairs of panels.</summary>
    private static bool SparseWeightGradientFits(Shape shape)
        => Widths.For(shape.K) == VectorWidth.V512 && Widths.For(shape.N) == VectorWidth.V512
           && shape.K % SparseUnitColumns == 0 && shape.N % (2 * SparsePanelOutputs) == 0 && shape.Rows % 16 == 0;

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

    // Columns [16·begin, 16·end) of dw, every output.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SparseWeightGradientPart(void* state, int begin, int end)
    {
        var p = (SparseProduct*)state;
        Shape shape = p->Shape;
        int rows = shape.Rows, k = shape.K, n = shape.N;
        // This thread's scratch: the 16 columns' lists (rows and values, rows + 16 apart), their counts, their sums
        // (16 × N) and a 16 × 16 block.
        int stride = rows + 16;
        ref int listRows = ref Scratch(ref t_listedIndices, SparseUnitColumns * stride + SparseUnitColumns);
        ref float sums = ref Scratch(ref t_transposedInput, SparseUnitColumns * n + SparseUnitColumns * stride + 256);
        ref float listValues = ref Unsafe.Add(ref sums, SparseUnitColumns * n);
        ref float block = ref Unsafe.Add(ref listValues, SparseUnitColumns * stride);
        ref int counts = ref Unsafe.Add(ref listRows, SparseUnitColumns * stride);
        for (int unit = begin; unit < end; unit++)
        {
            int c0 = unit * SparseUnitColumns;
            ListNonzeroByColumn(ref Unsafe.AsRef<float>(p->X + c0), k, rows, ref listRows, ref listValues, ref counts, ref block);
            for (int panel = 0; panel < n / SparsePanelOutputs; panel += 2)
            {
                ref float dyPanels = ref Unsafe.AsRef<float>(p->Panels + (nint)panel * rows * SparsePanelOutputs);
                for (int c = 0; c < SparseUnitColumns; c++)
                {
                    SumListed(ref dyPanels, rows * SparsePanelOutputs, ref Unsafe.Add(ref listRows, c * stride), ref Unsafe.Add(ref listValues, c * stride), Unsafe.Add(ref counts, c),
                        ref Unsafe.Add(ref sums, c * n + panel * SparsePanelOutputs));
                }
            }
            // dw[o, c0 + c] (+)= sums[c, o], 16 outputs at a time, transposed through registers.
            for (int o0 = 0; o0 < n; o0 += 16)
                Transpose16x16(ref Unsafe.AsRef<float>(p->Dw + (nint)o0 * k + c0), k, ref Unsafe.Add(ref sums, o0), n, add: p->Accumulate);
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

    // sums[0 .. 256) = Σ over the listed rows of value · (that row of two neighbouring panels, `panelStride` floats
    // apart), in list order, each sum from +0: 16 chains, the list read once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumListed(ref float dyPanel, int panelStride, ref int listRows, ref float listValues, int count, ref float sums)
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        ref float second = ref Unsafe.Add(ref dyPanel, panelStride);
        for (int i = 0; i < count; i++)
        {
            var s = Vector512.Create(Unsafe.Add(ref listValues, i));
            nint at = (nint)Unsafe.Add(ref listRows, i) * SparsePanelOutputs;
            ref float g = ref Unsafe.Add(ref dyPanel, at), h = ref Unsafe.Add(ref second, at);
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 0), s, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 16), s, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 32), s, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 48), s, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 64), s, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 80), s, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 96), s, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, 112), s, a7);
            b0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 0), s, b0);
            b1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 16), s, b1);
            b2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 32), s, b2);
            b3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 48), s, b3);
            b4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 64), s, b4);
            b5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 80), s, b5);
            b6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 96), s, b6);
            b7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref h, 112), s, b7);
        }
        // Stored as sum + 0, which makes a −0 sum (from products that underflow) +0, as adding it into zeros would.
        var zero = Vector512<float>.Zero;
        (a0 + zero).StoreUnsafe(ref sums, 0); (a1 + zero).StoreUnsafe(ref sums, 16); (a2 + zero).StoreUnsafe(ref sums, 32); (a3 + zero).StoreUnsafe(ref sums, 48);
        (a4 + zero).StoreUnsafe(ref sums, 64); (a5 + zero).StoreUnsafe(ref sums, 80); (a6 + zero).StoreUnsafe(ref sums, 96); (a7 + zero).StoreUnsafe(ref sums, 112);
        (b0 + zero).StoreUnsafe(ref sums, 128); (b1 + zero).StoreUnsafe(ref sums, 144); (b2 + zero).StoreUnsafe(ref sums, 160); (b3 + zero).StoreUnsafe(ref sums, 176);
        (b4 + zero).StoreUnsafe(ref sums, 192); (b5 + zero).StoreUnsafe(ref sums, 208); (b6 + zero).StoreUnsafe(ref sums, 224); (b7 + zero).StoreUnsafe(ref sums, 240);
    }
}
