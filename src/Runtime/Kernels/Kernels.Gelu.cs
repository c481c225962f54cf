using System;
using System.Runtime.CompilerServices;

namespace ModelGen;

public static partial class Kernels
{
    /// <summary>
    /// Exact GELU, as <c>torch.nn.GELU()</c> (approximate='none'): y = x·Φ(x) = 0.5·x·(1 + erf(x/√2)).
    /// Element-wise over <c>x.Length</c> values; <paramref name="y"/> may be <paramref name="x"/> itself.
    /// </summary>
    /// <param name="y">Output, at least <c>x.Length</c> values.</param>
    /// <param name="x">Input.</param>
    /// <remarks>
    /// Each value is widened to double, Φ is evaluated there (relative error below 1e-9) and the product is rounded
    /// to float once, so the result is within about half an ulp of the exact GELU of the float input. Φ is computed
    /// through the normal tail Φ(−|x|), never as 1 + erf, so large negative inputs keep their relative accuracy
    /// (1 + erf in float loses every digit below x ≈ −5). Large inputs give the limits: gelu(1e4) = 1e4,
    /// gelu(−1e4) = −0, gelu(+∞) = +∞ and gelu(−∞) = −0 (PyTorch's formula gives NaN there, as ∞·0); NaN stays NaN.
    /// </remarks>
    public static void GeluForward(Span<float> y, ReadOnlySpan<float> x)
    {
        CheckLength(y, x.Length);
        MapInParallel<GeluOperator>(y, x);
    }

    /// <summary>
    /// GELU backward: dx = dy · gelu′(x), gelu′(x) = Φ(x) + x·φ(x). Overwrites <paramref name="dx"/> over <c>x.Length</c> values.
    /// </summary>
    /// <param name="dx">Gradient of the input (overwritten), at least <c>x.Length</c> values; may be <paramref name="dy"/> itself.</param>
    /// <param name="dy">Gradient of the output, at least <c>x.Length</c> values.</param>
    /// <param name="x">The forward input.</param>
    public static void GeluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        CheckLength(dx, x.Length);
        CheckLength(dy, x.Length);
        MapInParallel<GeluBackwardOperator>(dx, dy[..x.Length], x);
    }

    /// <summary>
    /// GELU forward that also saves gelu′(x) = Φ(x) + x·φ(x) for the backward, in double precision and unrounded:
    /// <see cref="GeluBackward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{double})"/> then multiplies by it instead of
    /// evaluating Φ again, with bit for bit the result of <see cref="GeluBackward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
    /// <paramref name="y"/> is bit for bit that of <see cref="GeluForward(Span{float}, ReadOnlySpan{float})"/> (a NaN input
    /// gives NaN either way, though not always with the same sign bit: that follows the compiler's operand order).
    /// </summary>
    /// <param name="y">Output, at least <c>x.Length</c> values; it must not overlap <paramref name="x"/>.</param>
    /// <param name="derivative">gelu′(x), written: at least <c>x.Length</c> doubles.</param>
    /// <param name="x">Input.</param>
    public static void GeluForward(Span<float> y, Span<double> derivative, ReadOnlySpan<float> x)
    {
        CheckLength(y, x.Length);
        CheckLength(derivative, x.Length);
        if (y[..x.Length].Overlaps(x)) throw new ArgumentException("y must not overlap x when the derivative is saved.", nameof(y));
        MapSavingInParallel<GeluOperator>(y, derivative, x);
    }

    /// <summary>
    /// GELU backward from the derivative the forward saved: dx = dy · gelu′(x), the product taken in double and rounded
    /// once, so the result is bit for bit that of <see cref="GeluBackward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
    /// Overwrites <paramref name="dx"/> over <c>dy.Length</c> values.
    /// </summary>
    /// <param name="dx">Gradient of the input (overwritten), at least <c>dy.Length</c> values; may be <paramref name="dy"/> itself.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="derivative">gelu′(x) as <see cref="GeluForward(Span{float}, Span{double}, ReadOnlySpan{float})"/> saved it, at least <c>dy.Length</c> doubles.</param>
    public static void GeluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<double> derivative)
    {
        CheckLength(dx, dy.Length);
        CheckLength(derivative, dy.Length);
        MultiplyInDoubleInParallel(dx, dy, derivative);
    }

    private readonly struct GeluOperator : IUnaryOperator, IDoubleFunction, IDoubleFunctionPair
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Invoke<TS, TVec>(TVec x) where TS : ISimd<TVec> where TVec : struct
            => TS.InDouble<GeluOperator>(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVecD Evaluate<TD, TVecD>(TVecD x) where TD : ISimdD<TVecD> where TVecD : struct
        {
            TVecD tail = NormalTail<TD, TVecD>(x, out _, out _); // Φ(−|x|)
            return Value<TD, TVecD>(x, Cdf<TD, TVecD>(x, tail));
        }

        /// <summary>gelu(x), and gelu′(x) as <see cref="GeluBackwardOperator"/> computes it, from one evaluation of Φ.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVecD Evaluate<TD, TVecD>(TVecD x, out TVecD derivative) where TD : ISimdD<TVecD> where TVecD : struct
        {
            TVecD tail = NormalTail<TD, TVecD>(x, out TVecD gauss, out TVecD clamped);
            TVecD cdf = Cdf<TD, TVecD>(x, tail);
            derivative = Derivative<TD, TVecD>(cdf, gauss, clamped);
            return Value<TD, TVecD>(x, cdf);
        }

        /// <summary>
        /// x·Φ(x), with x clamped below at −37 so that −∞ gives −0: that is clamped·Φ(−|x|) for x &lt; 0 and
        /// x·(1 − Φ(−|x|)) otherwise, one product either way.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVecD Value<TD, TVecD>(TVecD x, TVecD cdf) where TD : ISimdD<TVecD> where TVecD : struct
            => TD.Multiply(TD.Max(x, TD.Create(-37)), cdf);
    }

    private readonly struct GeluBackwardOperator : IBinaryOperator, IDoubleFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Invoke<TS, TVec>(TVec dy, TVec x) where TS : ISimd<TVec> where TVec : struct
            => TS.InDouble<GeluBackwardOperator>(dy, x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVecD Evaluate<TD, TVecD>(TVecD dy, TVecD x) where TD : ISimdD<TVecD> where TVecD : struct
        {
            TVecD tail = NormalTail<TD, TVecD>(x, out TVecD gauss, out TVecD clamped);
            return TD.Multiply(dy, Derivative<TD, TVecD>(Cdf<TD, TVecD>(x, tail), gauss, clamped));
        }
    }

    /// <summary>Φ(x) from <see cref="NormalTail"/>'s Φ(−|x|): the tail itself for x &lt; 0, else 1 − tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVecD Cdf<TD, TVecD>(TVecD x, TVecD tail) where TD : ISimdD<TVecD> where TVecD : struct
        => TD.Select(TD.LessThan(x, TD.Create(0)), tail, TD.Subtract(TD.Create(1), tail));

    /// <summary>gelu′(x) = Φ(x) + x·φ(x), from <see cref="Cdf"/> and <see cref="NormalTail"/>'s results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVecD Derivative<TD, TVecD>(TVecD cdf, TVecD gauss, TVecD clamped) where TD : ISimdD<TVecD> where TVecD : struct
        => TD.MultiplyAdd(clamped, TD.Multiply(gauss, TD.Create(InvSqrt2Pi)), cdf);

    private const double InvSqrt2Pi = 0.398942280401432678;

    /// <summary>
    /// The normal tail Φ(−a), a = |x|, with <paramref name="gauss"/> = exp(−a²/2) and <paramref name="clamped"/> = x
    /// clamped to ±37. Φ(−a) = gauss · g(s) / (a + 2), where g(s) = Φ(−a)·e^{a²/2}·(a + 2) is smooth and flat (between
    /// 0.45 and 1) in s = (1.25a − 2)/(a + 2), which maps a ∈ [0, 16] onto [−1, 1]; a weighted minimax polynomial of
    /// degree 12 fits g there with relative error 9e-10. Beyond a = 16 every product with gauss is far below the
    /// smallest float, so a is only clamped at 37, where exp(−a²/2) is still a normal double: ±1e30 and ±∞ then give
    /// the limits (gelu(−∞) = −0, gelu′(±∞) = 0 or 1) instead of ∞·0.
    /// </summary>
    /// <remarks>
    /// gauss is e^y, y = −a²/2 ∈ [−685, 0]: Cody–Waite reduction by ln 2 and the Taylor series to degree 9 (relative
    /// error below 1e-11, a hundredth of the tail polynomial's). Only IEEE-exact operations are used here, so every width
    /// gives the same bits. The two Horner chains, g's and the exponential's, do not depend on each other and are
    /// written step by step side by side. Each step waits for the one before it. Written one chain after the other,
    /// the saving loop's 340-odd instructions for 32 values filled the core's window before the second chain could
    /// start: 12.3 µs against 10.9 for a 64×256 forward that saves gelu′, with the same bits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVecD NormalTail<TD, TVecD>(TVecD x, out TVecD gauss, out TVecD clamped) where TD : ISimdD<TVecD> where TVecD : struct
    {
        const double Log2E = 1.4426950408889634;
        const double Ln2Hi = 6.93147180369123816490e-01; // fdlibm's split: n·Ln2Hi is exact for |n| < 2^11
        const double Ln2Lo = 1.90821492927058770002e-10;

        TVecD a = TD.Min(TD.Create(37), TD.Abs(x)); // NaN stays NaN
        clamped = TD.Max(TD.Min(x, TD.Create(37)), TD.Create(-37)); // for a NaN x, maybe a number (by width); a is NaN, which makes every result NaN
        // a is a widened float, so a·a is exact in double and exp(−a²/2) carries only the exponential's own error.
        TVecD y = TD.Multiply(TD.Multiply(a, a), TD.Create(-0.5));
        TVecD n = TD.Round(TD.Multiply(y, TD.Create(Log2E)));
        TVecD r = TD.MultiplyAdd(n, TD.Create(-Ln2Hi), y);
        TVecD d = TD.Divide(TD.Create(1), TD.Add(a, TD.Create(2)));
        r = TD.MultiplyAdd(n, TD.Create(-Ln2Lo), r); // |r| ≤ ln2/2
        TVecD s = TD.Multiply(TD.MultiplyAdd(a, TD.Create(1.25), TD.Create(-2)), d);

        TVecD p = TD.Create(1.0 / 362880);                                   // e^r, degree 9 in r
        TVecD g = TD.Create(-3.477726016940034e-6);                          // g, degree 12 in s
        p = TD.MultiplyAdd(p, r, TD.Create(1.0 / 40320));
        g = TD.MultiplyAdd(g, s, TD.Create(-1.8126082752761405e-5));
        p = TD.MultiplyAdd(p, r, TD.Create(1.0 / 5040));
        g = TD.MultiplyAdd(g, s, TD.Create(-1.0834541996699064e-5));
        p = TD.MultiplyAdd(p, r, TD.Create(1.0 / 720));
        g = TD.MultiplyAdd(g, s, TD.Create(8.8444746222524494e-5));
        p = TD.MultiplyAdd(p, r, TD.Create(1.0 / 120));
        g = TD.MultiplyAdd(g, s, TD.Create(0.00023591968257784252));
        p = TD.MultiplyAdd(p, r, TD.Create(1.0 / 24));
        g = TD.MultiplyAdd(g, s, TD.Create(7.0066374325444618e-5));
        p = TD.MultiplyAdd(p, r, TD.Create(1.0 / 6));
        g = TD.MultiplyAdd(g, s, TD.Create(-0.0011394925130003716));
        p = TD.MultiplyAdd(p, r, TD.Create(0.5));
        g = TD.MultiplyAdd(g, s, TD.Create(-0.0029305671935488769));
        p = TD.MultiplyAdd(p, r, TD.Create(1));
        g = TD.MultiplyAdd(g, s, TD.Create(0.001796069343705642));
        p = TD.MultiplyAdd(p, r, TD.Create(1));
        g = TD.MultiplyAdd(g, s, TD.Create(0.025392051698410345));
        gauss = TD.Multiply(p, TD.PowerOfTwo(n));
        g = TD.MultiplyAdd(g, s, TD.Create(0.013124429005140302));
        g = TD.MultiplyAdd(g, s, TD.Create(-0.29906334252711474));
        g = TD.MultiplyAdd(g, s, TD.Create(0.70953591468463743));
        return TD.Multiply(TD.Multiply(gauss, g), d);
    }
}
