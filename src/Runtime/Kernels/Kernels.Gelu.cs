using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

public static partial class Kernels
{
    // Φ(x) = ½·erfc(−x/√2), with erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), z ≥ 0: a Chebyshev fit whose relative
    // error is below 1.2e-7 for every z (Numerical Recipes' erfcc), so Φ stays accurate in the far negative tail where
    // 1 + erf(x/√2) would cancel. It is evaluated in double, so the float result carries only the fit's error and one
    // rounding: in float, −z² + P(t) alone would lose ~1e-6 of relative accuracy for |x| ≈ 4.
    private const double InvSqrt2 = 0.70710678118654752;
    private const double InvSqrt2Pi = 0.39894228040143268;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ErfcPositive(double z)
    {
        double t = 1 / (1 + 0.5 * z);
        double p = -0.82215223 + t * 0.17087277;
        p = 1.48851587 + t * p;
        p = -1.13520398 + t * p;
        p = 0.27886807 + t * p;
        p = -0.18628806 + t * p;
        p = 0.09678418 + t * p;
        p = 0.37409196 + t * p;
        p = 1.00002368 + t * p;
        p = -1.26551223 + t * p;
        return t * Math.Exp(-z * z + p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> ErfcPositive(Vector512<double> z)
    {
        var t = Vector512<double>.One / (Vector512<double>.One + Vector512.Create(0.5) * z);
        var p = Vector512.FusedMultiplyAdd(t, Vector512.Create(0.17087277), Vector512.Create(-0.82215223));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(1.48851587));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(-1.13520398));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(0.27886807));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(-0.18628806));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(0.09678418));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(0.37409196));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(1.00002368));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(-1.26551223));
        return t * Vector512.Exp(p - z * z);
    }

    /// <summary>The standard normal CDF Φ(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double NormalCdf(double x)
    {
        double half = 0.5 * ErfcPositive(Math.Abs(x) * InvSqrt2);
        return x >= 0 ? 1 - half : half;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> NormalCdf(Vector512<double> x)
    {
        var half = Vector512.Create(0.5) * ErfcPositive(Vector512.Abs(x) * Vector512.Create(InvSqrt2));
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<double>.Zero), Vector512<double>.One - half, half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> GeluDerivative(Vector512<double> x)
        => Vector512.FusedMultiplyAdd(x, Vector512.Create(InvSqrt2Pi) * Vector512.Exp(Vector512.Create(-0.5) * x * x), NormalCdf(x));

    /// <summary>Exact GELU, as <c>nn.GELU()</c>: y = x·Φ(x) = 0.5·x·(1 + erf(x/√2)). y and x have the same length.</summary>
    public static void GeluForward(Span<float> y, ReadOnlySpan<float> x)
    {
        Need(y, x.Length, nameof(y));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (UseVector512)
        {
            for (; i + 16 <= x.Length; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref xs, (nuint)i));
                Vector512.Narrow(lo * NormalCdf(lo), hi * NormalCdf(hi)).StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            double v = Unsafe.Add(ref xs, i);
            Unsafe.Add(ref ys, i) = (float)(v * NormalCdf(v));
        }
    }

    /// <summary>dx = dy · GELU'(x), GELU'(x) = Φ(x) + x·φ(x). Overwrites dx.</summary>
    public static void GeluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        Need(dx, x.Length, nameof(dx));
        Need(dy, x.Length, nameof(dy));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float dxs = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (UseVector512)
        {
            for (; i + 16 <= x.Length; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref xs, (nuint)i));
                var (dlo, dhi) = Vector512.Widen(Vector512.LoadUnsafe(ref dys, (nuint)i));
                Vector512.Narrow(dlo * GeluDerivative(lo), dhi * GeluDerivative(hi)).StoreUnsafe(ref dxs, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            double v = Unsafe.Add(ref xs, i);
            double derivative = NormalCdf(v) + v * InvSqrt2Pi * Math.Exp(-0.5 * v * v);
            Unsafe.Add(ref dxs, i) = (float)(Unsafe.Add(ref dys, i) * derivative);
        }
    }
}
