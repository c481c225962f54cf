using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

/// <summary>
/// The kernels generated models call. Shapes are row-major; <c>rows</c> counts the vectors of the last dimension a
/// call holds. Activation gradients are overwritten (<c>dx = …</c>); parameter gradients accumulate (<c>dW += …</c>).
/// Each matrix product sits behind one public method, with a Vector512 register-blocked path and a portable
/// TensorPrimitives path for machines without AVX-512.
/// </summary>
public static partial class Kernels
{
    /// <summary>Whether the Vector512 paths run; tests turn it off to check the portable paths.</summary>
    internal static bool UseVector512 = Vector512.IsHardwareAccelerated;

    /// <summary>y(rows, out) = x(rows, in) · wᵀ + bias, with w stored (out, in) as PyTorch does; an empty bias means none.</summary>
    public static void LinearForward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int rows, int inFeatures, int outFeatures)
    {
        CheckProduct(rows, inFeatures, outFeatures);
        Need(y, rows * outFeatures, nameof(y));
        Need(x, rows * inFeatures, nameof(x));
        Need(w, outFeatures * inFeatures, nameof(w));
        if (!bias.IsEmpty) Need(bias, outFeatures, nameof(bias));

        if (UseVector512 && inFeatures >= Vector512<float>.Count)
        {
            LinearForward512(y, x, w, rows, inFeatures, outFeatures);
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                var xr = x.Slice(r * inFeatures, inFeatures);
                for (int o = 0; o < outFeatures; o++) y[r * outFeatures + o] = TensorPrimitives.Dot(xr, w.Slice(o * inFeatures, inFeatures));
            }
        }
        if (!bias.IsEmpty)
        {
            for (int r = 0; r < rows; r++)
            {
                var yr = y.Slice(r * outFeatures, outFeatures);
                TensorPrimitives.Add(yr, bias[..outFeatures], yr);
            }
        }
    }

    /// <summary>dx(rows, in) = dy(rows, out) · w(out, in). Overwrites dx.</summary>
    public static void LinearBackwardInput(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, int rows, int inFeatures, int outFeatures)
    {
        CheckProduct(rows, inFeatures, outFeatures);
        Need(dx, rows * inFeatures, nameof(dx));
        Need(dy, rows * outFeatures, nameof(dy));
        Need(w, outFeatures * inFeatures, nameof(w));
        // dx row r = Σ_o dy[r, o] · w row o: broadcast one gradient value against a row of the weight.
        if (UseVector512 && inFeatures >= Vector512<float>.Count)
        {
            AxpyRows512(dx, dy, w, rows, outFeatures, inFeatures, accumulate: false);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            var dxr = dx.Slice(r * inFeatures, inFeatures);
            dxr.Clear();
            for (int o = 0; o < outFeatures; o++) TensorPrimitives.MultiplyAdd(w.Slice(o * inFeatures, inFeatures), dy[r * outFeatures + o], dxr, dxr);
        }
    }

    /// <summary>dw(out, in) += dy(rows, out)ᵀ · x(rows, in). Accumulates.</summary>
    public static void LinearBackwardWeight(Span<float> dw, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rows, int inFeatures, int outFeatures)
    {
        CheckProduct(rows, inFeatures, outFeatures);
        Need(dw, outFeatures * inFeatures, nameof(dw));
        Need(dy, rows * outFeatures, nameof(dy));
        Need(x, rows * inFeatures, nameof(x));
        if (UseVector512 && inFeatures >= Vector512<float>.Count)
        {
            WeightGradient512(dw, dy, x, rows, inFeatures, outFeatures);
            return;
        }
        for (int o = 0; o < outFeatures; o++)
        {
            var dwo = dw.Slice(o * inFeatures, inFeatures);
            for (int r = 0; r < rows; r++) TensorPrimitives.MultiplyAdd(x.Slice(r * inFeatures, inFeatures), dy[r * outFeatures + o], dwo, dwo);
        }
    }

    /// <summary>dbias(out) += Σ over rows of dy(rows, out). Accumulates.</summary>
    public static void LinearBackwardBias(Span<float> dbias, ReadOnlySpan<float> dy, int rows, int outFeatures)
    {
        CheckProduct(rows, 1, outFeatures);
        Need(dbias, outFeatures, nameof(dbias));
        Need(dy, rows * outFeatures, nameof(dy));
        var db = dbias[..outFeatures];
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, dy.Slice(r * outFeatures, outFeatures), db);
    }

    // y = x·wᵀ: tiles of 4 rows × 4 outputs, each a dot product along `in` held in one vector accumulator. The loop
    // over rows is inside the loop over outputs, so the 4 weight rows of a tile stay in L1 while every row of x
    // passes by (x is small; the weight is the large operand and is read from memory once).
    private static void LinearForward512(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, int rows, int k, int n)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ws = ref MemoryMarshal.GetReference(w);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int fullRows = rows & ~3;
        int o = 0;
        for (; o + 4 <= n; o += 4)
        {
            for (int r = 0; r < fullRows; r += 4) Dot4x4(ref xs, ref ws, ref ys, r, o, k, n);
            for (int r = fullRows; r < rows; r++)
                for (int oo = o; oo < o + 4; oo++) Unsafe.Add(ref ys, r * n + oo) = Dot(ref Unsafe.Add(ref xs, r * k), ref Unsafe.Add(ref ws, oo * k), k);
        }
        for (; o < n; o++)
            for (int r = 0; r < rows; r++) Unsafe.Add(ref ys, r * n + o) = Dot(ref Unsafe.Add(ref xs, r * k), ref Unsafe.Add(ref ws, o * k), k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x4(ref float xs, ref float ws, ref float ys, int r, int o, int k, int n)
    {
        ref float x0 = ref Unsafe.Add(ref xs, r * k);
        ref float x1 = ref Unsafe.Add(ref x0, k);
        ref float x2 = ref Unsafe.Add(ref x1, k);
        ref float x3 = ref Unsafe.Add(ref x2, k);
        ref float w0 = ref Unsafe.Add(ref ws, o * k);
        ref float w1 = ref Unsafe.Add(ref w0, k);
        ref float w2 = ref Unsafe.Add(ref w1, k);
        ref float w3 = ref Unsafe.Add(ref w2, k);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var v0 = Vector512.LoadUnsafe(ref w0, (nuint)i);
            var v1 = Vector512.LoadUnsafe(ref w1, (nuint)i);
            var v2 = Vector512.LoadUnsafe(ref w2, (nuint)i);
            var v3 = Vector512.LoadUnsafe(ref w3, (nuint)i);
            var u = Vector512.LoadUnsafe(ref x0, (nuint)i);
            a00 = Vector512.FusedMultiplyAdd(u, v0, a00); a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(u, v2, a02); a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
            u = Vector512.LoadUnsafe(ref x1, (nuint)i);
            a10 = Vector512.FusedMultiplyAdd(u, v0, a10); a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(u, v2, a12); a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
            u = Vector512.LoadUnsafe(ref x2, (nuint)i);
            a20 = Vector512.FusedMultiplyAdd(u, v0, a20); a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(u, v2, a22); a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
            u = Vector512.LoadUnsafe(ref x3, (nuint)i);
            a30 = Vector512.FusedMultiplyAdd(u, v0, a30); a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(u, v2, a32); a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
        }
        ref float y0 = ref Unsafe.Add(ref ys, r * n + o);
        Store4(ref y0, a00, a01, a02, a03);
        Store4(ref Unsafe.Add(ref y0, n), a10, a11, a12, a13);
        Store4(ref Unsafe.Add(ref y0, 2 * n), a20, a21, a22, a23);
        Store4(ref Unsafe.Add(ref y0, 3 * n), a30, a31, a32, a33);
        // The last k mod 16 products, one at a time.
        for (; i < k; i++)
        {
            for (int a = 0; a < 4; a++)
            {
                float xv = Unsafe.Add(ref x0, a * k + i);
                ref float yr = ref Unsafe.Add(ref y0, a * n);
                yr += xv * Unsafe.Add(ref w0, i);
                Unsafe.Add(ref yr, 1) += xv * Unsafe.Add(ref w0, k + i);
                Unsafe.Add(ref yr, 2) += xv * Unsafe.Add(ref w0, 2 * k + i);
                Unsafe.Add(ref yr, 3) += xv * Unsafe.Add(ref w0, 3 * k + i);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref float destination, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        destination = Vector512.Sum(a);
        Unsafe.Add(ref destination, 1) = Vector512.Sum(b);
        Unsafe.Add(ref destination, 2) = Vector512.Sum(c);
        Unsafe.Add(ref destination, 3) = Vector512.Sum(d);
    }

    private static float Dot(ref float a, ref float b, int k)
        => TensorPrimitives.Dot(MemoryMarshal.CreateReadOnlySpan(ref a, k), MemoryMarshal.CreateReadOnlySpan(ref b, k));

    // out(rows, m) (=|+=) coef(rows, kdim) · mat(kdim, m): tiles of 4 rows × 32 columns, broadcasting one coefficient
    // per row. Rows are the inner loop, so a 32-column panel of mat stays in cache while every row block uses it.
    private static void AxpyRows512(Span<float> output, ReadOnlySpan<float> coef, ReadOnlySpan<float> mat, int rows, int kdim, int m, bool accumulate)
    {
        ref float outs = ref MemoryMarshal.GetReference(output);
        ref float cs = ref MemoryMarshal.GetReference(coef);
        ref float ms = ref MemoryMarshal.GetReference(mat);
        int fullRows = rows & ~3;
        int j = 0;
        for (; j + 32 <= m; j += 32)
            for (int r = 0; r < fullRows; r += 4) Axpy4x32(ref outs, ref cs, ref ms, r, j, kdim, m, accumulate);
        for (; j + 16 <= m; j += 16)
            for (int r = 0; r < fullRows; r += 4) Axpy4x16(ref outs, ref cs, ref ms, r, j, kdim, m, accumulate);
        for (; j < m; j++)
            for (int r = 0; r < fullRows; r++) AxpyScalar(ref outs, ref cs, ref ms, r, j, kdim, m, accumulate);
        for (int r = fullRows; r < rows; r++)
            for (int c = 0; c < m; c++) AxpyScalar(ref outs, ref cs, ref ms, r, c, kdim, m, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AxpyScalar(ref float outs, ref float cs, ref float ms, int r, int j, int kdim, int m, bool accumulate)
    {
        float s = 0;
        for (int k = 0; k < kdim; k++) s += Unsafe.Add(ref cs, r * kdim + k) * Unsafe.Add(ref ms, k * m + j);
        ref float target = ref Unsafe.Add(ref outs, r * m + j);
        target = accumulate ? target + s : s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy4x32(ref float outs, ref float cs, ref float ms, int r, int j, int kdim, int m, bool accumulate)
    {
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        ref float c0 = ref Unsafe.Add(ref cs, r * kdim);
        ref float c1 = ref Unsafe.Add(ref c0, kdim);
        ref float c2 = ref Unsafe.Add(ref c1, kdim);
        ref float c3 = ref Unsafe.Add(ref c2, kdim);
        for (int k = 0; k < kdim; k++)
        {
            ref float row = ref Unsafe.Add(ref ms, k * m + j);
            var lo = Vector512.LoadUnsafe(ref row);
            var hi = Vector512.LoadUnsafe(ref row, 16);
            var s = Vector512.Create(Unsafe.Add(ref c0, k)); a0 = Vector512.FusedMultiplyAdd(s, lo, a0); b0 = Vector512.FusedMultiplyAdd(s, hi, b0);
            s = Vector512.Create(Unsafe.Add(ref c1, k)); a1 = Vector512.FusedMultiplyAdd(s, lo, a1); b1 = Vector512.FusedMultiplyAdd(s, hi, b1);
            s = Vector512.Create(Unsafe.Add(ref c2, k)); a2 = Vector512.FusedMultiplyAdd(s, lo, a2); b2 = Vector512.FusedMultiplyAdd(s, hi, b2);
            s = Vector512.Create(Unsafe.Add(ref c3, k)); a3 = Vector512.FusedMultiplyAdd(s, lo, a3); b3 = Vector512.FusedMultiplyAdd(s, hi, b3);
        }
        Put(ref Unsafe.Add(ref outs, r * m + j), a0, b0, accumulate);
        Put(ref Unsafe.Add(ref outs, (r + 1) * m + j), a1, b1, accumulate);
        Put(ref Unsafe.Add(ref outs, (r + 2) * m + j), a2, b2, accumulate);
        Put(ref Unsafe.Add(ref outs, (r + 3) * m + j), a3, b3, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy4x16(ref float outs, ref float cs, ref float ms, int r, int j, int kdim, int m, bool accumulate)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ref float c0 = ref Unsafe.Add(ref cs, r * kdim);
        for (int k = 0; k < kdim; k++)
        {
            var v = Vector512.LoadUnsafe(ref Unsafe.Add(ref ms, k * m + j));
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c0, k)), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c0, kdim + k)), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c0, 2 * kdim + k)), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c0, 3 * kdim + k)), v, a3);
        }
        Put16(ref Unsafe.Add(ref outs, r * m + j), a0, accumulate);
        Put16(ref Unsafe.Add(ref outs, (r + 1) * m + j), a1, accumulate);
        Put16(ref Unsafe.Add(ref outs, (r + 2) * m + j), a2, accumulate);
        Put16(ref Unsafe.Add(ref outs, (r + 3) * m + j), a3, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put16(ref float destination, Vector512<float> value, bool accumulate)
    {
        if (accumulate) value += Vector512.LoadUnsafe(ref destination);
        value.StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref float destination, Vector512<float> lo, Vector512<float> hi, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector512.LoadUnsafe(ref destination);
            hi += Vector512.LoadUnsafe(ref destination, 16);
        }
        lo.StoreUnsafe(ref destination);
        hi.StoreUnsafe(ref destination, 16);
    }

    // dw(n, k) += dyᵀ(n, rows) · x(rows, k): the same broadcast tile with the roles of rows and outputs swapped.
    private static void WeightGradient512(Span<float> dw, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rows, int k, int n)
    {
        ref float dws = ref MemoryMarshal.GetReference(dw);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float xs = ref MemoryMarshal.GetReference(x);
        int o = 0;
        for (; o + 4 <= n; o += 4)
        {
            int j = 0;
            for (; j + 32 <= k; j += 32)
            {
                Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
                for (int r = 0; r < rows; r++)
                {
                    ref float xr = ref Unsafe.Add(ref xs, r * k + j);
                    var lo = Vector512.LoadUnsafe(ref xr);
                    var hi = Vector512.LoadUnsafe(ref xr, 16);
                    ref float g = ref Unsafe.Add(ref dys, r * n + o);
                    var s = Vector512.Create(g); a0 = Vector512.FusedMultiplyAdd(s, lo, a0); b0 = Vector512.FusedMultiplyAdd(s, hi, b0);
                    s = Vector512.Create(Unsafe.Add(ref g, 1)); a1 = Vector512.FusedMultiplyAdd(s, lo, a1); b1 = Vector512.FusedMultiplyAdd(s, hi, b1);
                    s = Vector512.Create(Unsafe.Add(ref g, 2)); a2 = Vector512.FusedMultiplyAdd(s, lo, a2); b2 = Vector512.FusedMultiplyAdd(s, hi, b2);
                    s = Vector512.Create(Unsafe.Add(ref g, 3)); a3 = Vector512.FusedMultiplyAdd(s, lo, a3); b3 = Vector512.FusedMultiplyAdd(s, hi, b3);
                }
                Put(ref Unsafe.Add(ref dws, o * k + j), a0, b0, accumulate: true);
                Put(ref Unsafe.Add(ref dws, (o + 1) * k + j), a1, b1, accumulate: true);
                Put(ref Unsafe.Add(ref dws, (o + 2) * k + j), a2, b2, accumulate: true);
                Put(ref Unsafe.Add(ref dws, (o + 3) * k + j), a3, b3, accumulate: true);
            }
            for (; j + 16 <= k; j += 16)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int r = 0; r < rows; r++)
                {
                    var v = Vector512.LoadUnsafe(ref Unsafe.Add(ref xs, r * k + j));
                    ref float g = ref Unsafe.Add(ref dys, r * n + o);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(g), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref g, 1)), v, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref g, 2)), v, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref g, 3)), v, a3);
                }
                Put16(ref Unsafe.Add(ref dws, o * k + j), a0, accumulate: true);
                Put16(ref Unsafe.Add(ref dws, (o + 1) * k + j), a1, accumulate: true);
                Put16(ref Unsafe.Add(ref dws, (o + 2) * k + j), a2, accumulate: true);
                Put16(ref Unsafe.Add(ref dws, (o + 3) * k + j), a3, accumulate: true);
            }
            for (; j < k; j++)
                for (int oo = o; oo < o + 4; oo++) WeightGradientScalar(ref dws, ref dys, ref xs, oo, j, rows, k, n);
        }
        for (; o < n; o++)
            for (int j = 0; j < k; j++) WeightGradientScalar(ref dws, ref dys, ref xs, o, j, rows, k, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightGradientScalar(ref float dws, ref float dys, ref float xs, int o, int j, int rows, int k, int n)
    {
        float s = 0;
        for (int r = 0; r < rows; r++) s += Unsafe.Add(ref dys, r * n + o) * Unsafe.Add(ref xs, r * k + j);
        Unsafe.Add(ref dws, o * k + j) += s;
    }

    private static void CheckProduct(int rows, int inFeatures, int outFeatures)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must not be negative.");
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "inFeatures must be positive.");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "outFeatures must be positive.");
    }

    private static void Need<T>(ReadOnlySpan<T> span, int length, string name)
    {
        if (span.Length < length) throw new ArgumentException($"{name} holds {span.Length} values; this call needs {length}.", name);
    }

    private static void Need<T>(Span<T> span, int length, string name) => Need((ReadOnlySpan<T>)span, length, name);
}
