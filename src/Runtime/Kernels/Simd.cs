using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

/// <summary>
/// The vector operations the kernels are written in, so each kernel is written once and instantiated per width:
/// <see cref="Simd512"/>, <see cref="Simd256"/>, <see cref="Simd128"/> and the one-lane <see cref="Simd1"/> that
/// serves both machines without SIMD and the scalar tails. Every implementation is a struct with static members, so
/// the JIT specialises each generic kernel per width and inlines these calls; there is no dispatch at run time.
/// </summary>
/// <remarks>
/// Every operation is IEEE-exact per lane (no estimates) and <see cref="MultiplyAdd"/> is always fused, so a kernel
/// gives bit-identical results at every width; only the order of long reductions depends on the width.
/// </remarks>
internal interface ISimd<TVec> where TVec : struct
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Create(float value);

    /// <summary>Reads <see cref="Count"/> floats at <c>source[index]</c>; the caller guarantees they exist.</summary>
    static abstract TVec Load(ref float source, nuint index);

    /// <summary>Writes <see cref="Count"/> floats at <c>destination[index]</c>; the caller guarantees they exist.</summary>
    static abstract void Store(TVec value, ref float destination, nuint index);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Subtract(TVec a, TVec b);

    static abstract TVec Multiply(TVec a, TVec b);

    static abstract TVec Divide(TVec a, TVec b);

    /// <summary><c>a * b + c</c> with one rounding.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    static abstract TVec Sqrt(TVec a);

    static abstract TVec Abs(TVec a);

    /// <summary>Lane-wise minimum; NaN in either operand gives NaN.</summary>
    static abstract TVec Min(TVec a, TVec b);

    /// <summary>All bits set in lanes where <c>a &lt; b</c>, zero elsewhere.</summary>
    static abstract TVec LessThan(TVec a, TVec b);

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="mask"/> is all ones, else <paramref name="whenFalse"/>.</summary>
    static abstract TVec Select(TVec mask, TVec whenTrue, TVec whenFalse);

    /// <summary>A mask with all bits set in lanes <paramref name="first"/> … Count−1: the new lanes of an overlapping last vector.</summary>
    static abstract TVec LanesFrom(int first);

    /// <summary>Sum of the lanes.</summary>
    static abstract float Sum(TVec a);

    /// <summary>The bitwise or of two vectors' bits (to test several vectors for zero at once).</summary>
    static abstract TVec Or(TVec a, TVec b);

    /// <summary>Whether every bit of every lane is zero: every lane is +0 (−0 and NaN are not).</summary>
    static abstract bool IsZero(TVec a);

    /// <summary>All bits set in lanes where <c>a == b</c> (so +0 equals −0, and NaN equals nothing), zero elsewhere.</summary>
    static abstract TVec Equal(TVec a, TVec b);

    /// <summary>
    /// All bits set in the lanes that hold a subnormal (nonzero, below 2^−126 in magnitude), zero elsewhere. Tested on
    /// the bits, so no arithmetic touches the subnormal (which costs a microcode assist on many processors).
    /// </summary>
    static abstract TVec SubnormalLanes(TVec a);

    /// <summary>Whether any lane holds a subnormal; like <see cref="SubnormalLanes"/>, without arithmetic on it.</summary>
    static abstract bool AnySubnormal(TVec a);

    /// <summary>
    /// A subnormal's magnitude in units of 2^−149, the integer in its significand field, as an exact float in
    /// [1, 2^23). Read from the bits; lanes that are not subnormal give values that only mean something to the caller.
    /// </summary>
    static abstract TVec SubnormalUnits(TVec a);

    /// <summary>
    /// The inverse of <see cref="SubnormalUnits"/>: <paramref name="units"/> · 2^−149, for integer-valued
    /// <paramref name="units"/> in [0, 2^23), with the sign of <paramref name="sign"/>, built from bits.
    /// </summary>
    static abstract TVec FromSubnormalUnits(TVec units, TVec sign);

    /// <summary>Applies <typeparamref name="TF"/> in double precision: widens every lane, evaluates, rounds back once.</summary>
    static abstract TVec InDouble<TF>(TVec x) where TF : IDoubleFunction;

    /// <summary>Applies the two-argument <typeparamref name="TF"/> in double precision, rounding back once.</summary>
    static abstract TVec InDouble<TF>(TVec a, TVec b) where TF : IDoubleFunction2;

    /// <summary>
    /// Applies <typeparamref name="TF"/> in double precision, rounding its value back once, and stores its second
    /// result unrounded: <see cref="Count"/> doubles at <paramref name="second"/>[<paramref name="index"/>].
    /// </summary>
    static abstract TVec InDouble<TF>(TVec x, ref double second, nuint index) where TF : IDoubleFunctionPair;

    /// <summary>a × b in double precision, rounded once; b is <see cref="Count"/> doubles at <paramref name="b"/>[<paramref name="index"/>].</summary>
    static abstract TVec MultiplyInDouble(TVec a, ref double b, nuint index);
}

/// <summary>The double-precision vector operations, for functions whose float result must be rounded only once.</summary>
internal interface ISimdD<TVecD> where TVecD : struct
{
    static abstract TVecD Create(double value);
    static abstract TVecD Add(TVecD a, TVecD b);
    static abstract TVecD Subtract(TVecD a, TVecD b);
    static abstract TVecD Multiply(TVecD a, TVecD b);
    static abstract TVecD Divide(TVecD a, TVecD b);
    /// <summary><c>a * b + c</c> with one rounding.</summary>
    static abstract TVecD MultiplyAdd(TVecD a, TVecD b, TVecD c);
    static abstract TVecD Abs(TVecD a);
    /// <summary>Lane-wise minimum; NaN in <paramref name="b"/> gives NaN (what a NaN in a gives may differ by width).</summary>
    static abstract TVecD Min(TVecD a, TVecD b);
    /// <summary>Lane-wise maximum; NaN in <paramref name="b"/> gives NaN (what a NaN in a gives may differ by width).</summary>
    static abstract TVecD Max(TVecD a, TVecD b);
    /// <summary>Rounds to the nearest integer, ties to even.</summary>
    static abstract TVecD Round(TVecD a);
    /// <summary>2^n for integer-valued <paramref name="n"/> in the normal range [−1022, 1023].</summary>
    static abstract TVecD PowerOfTwo(TVecD n);
    static abstract TVecD LessThan(TVecD a, TVecD b);
    static abstract TVecD Select(TVecD mask, TVecD whenTrue, TVecD whenFalse);
}

/// <summary>A function evaluated in double precision, written once for every width.</summary>
internal interface IDoubleFunction
{
    static abstract TVecD Evaluate<TD, TVecD>(TVecD x) where TD : ISimdD<TVecD> where TVecD : struct;
}

/// <summary>A two-argument function evaluated in double precision, written once for every width.</summary>
internal interface IDoubleFunction2
{
    static abstract TVecD Evaluate<TD, TVecD>(TVecD a, TVecD b) where TD : ISimdD<TVecD> where TVecD : struct;
}

/// <summary>A function evaluated in double precision that also gives a second result (a derivative, say), written once for every width.</summary>
internal interface IDoubleFunctionPair
{
    static abstract TVecD Evaluate<TD, TVecD>(TVecD x, out TVecD second) where TD : ISimdD<TVecD> where TVecD : struct;
}

/// <summary>512-bit vectors (AVX-512).</summary>
internal readonly struct Simd512 : ISimd<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Create(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> mask, Vector512<float> whenTrue, Vector512<float> whenFalse) => Vector512.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LanesFrom(int first) => Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(first)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> a) => Vector512.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool IsZero(Vector512<float> a) => a.AsUInt32() == Vector512<uint>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Equal(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnySubnormal(Vector512<float> a) => Vector512.IsSubnormal(a) != Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> SubnormalLanes(Vector512<float> a) => Vector512.IsSubnormal(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> SubnormalUnits(Vector512<float> a) => Vector512.ConvertToSingle((Vector512.Abs(a).AsInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> FromSubnormalUnits(Vector512<float> units, Vector512<float> sign)
        => ((Vector512.Add(units, Vector512.Create(SubnormalBits.Shift)).AsUInt32() - Vector512.Create(SubnormalBits.ShiftBits)) | (sign.AsUInt32() & Vector512.Create(SubnormalBits.Sign))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> InDouble<TF>(Vector512<float> x) where TF : IDoubleFunction
    {
        (var lo, var hi) = Vector512.Widen(x);
        var value = TF.Evaluate<SimdD512x2, Vector512x2>(new(lo, hi));
        return Vector512.Narrow(value.Lo, value.Hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> InDouble<TF>(Vector512<float> a, Vector512<float> b) where TF : IDoubleFunction2
    {
        (var aLo, var aHi) = Vector512.Widen(a);
        (var bLo, var bHi) = Vector512.Widen(b);
        var value = TF.Evaluate<SimdD512x2, Vector512x2>(new(aLo, aHi), new(bLo, bHi));
        return Vector512.Narrow(value.Lo, value.Hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> InDouble<TF>(Vector512<float> x, ref double second, nuint index) where TF : IDoubleFunctionPair
    {
        (var lo, var hi) = Vector512.Widen(x);
        var value = TF.Evaluate<SimdD512x2, Vector512x2>(new(lo, hi), out var secondValue);
        secondValue.Lo.StoreUnsafe(ref second, index);
        secondValue.Hi.StoreUnsafe(ref second, index + (nuint)Vector512<double>.Count);
        return Vector512.Narrow(value.Lo, value.Hi);
    }

    /// <summary>
    /// <see cref="InDouble{TF}(Vector512{float}, ref double, nuint)"/> on two vectors at once (2 × <see cref="Count"/>
    /// values from <paramref name="index"/>), their four halves evaluated side by side (<see cref="SimdD512x4"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Y0, Vector512<float> Y1) InDouble<TF>(Vector512<float> x0, Vector512<float> x1, ref double second, nuint index)
        where TF : IDoubleFunctionPair
    {
        (var a, var b) = Vector512.Widen(x0);
        (var c, var d) = Vector512.Widen(x1);
        var value = TF.Evaluate<SimdD512x4, Vector512x4>(new(a, b, c, d), out var secondValue);
        nuint half = (nuint)Vector512<double>.Count;
        secondValue.A.StoreUnsafe(ref second, index);
        secondValue.B.StoreUnsafe(ref second, index + half);
        secondValue.C.StoreUnsafe(ref second, index + 2 * half);
        secondValue.D.StoreUnsafe(ref second, index + 3 * half);
        return (Vector512.Narrow(value.A, value.B), Vector512.Narrow(value.C, value.D));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyInDouble(Vector512<float> a, ref double b, nuint index)
    {
        (var lo, var hi) = Vector512.Widen(a);
        return Vector512.Narrow(lo * Vector512.LoadUnsafe(ref b, index), hi * Vector512.LoadUnsafe(ref b, index + (nuint)Vector512<double>.Count));
    }
}

/// <summary>The double-precision companion of <see cref="Simd512"/>.</summary>
internal readonly struct SimdD512 : ISimdD<Vector512<double>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Create(double value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Subtract(Vector512<double> a, Vector512<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Divide(Vector512<double> a, Vector512<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Abs(Vector512<double> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Min(Vector512<double> a, Vector512<double> b) => Vector512.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Max(Vector512<double> a, Vector512<double> b) => Vector512.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Round(Vector512<double> a) => Vector512.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> PowerOfTwo(Vector512<double> n)
    {
        // n + (1023 + 2^52) holds the biased exponent in its low mantissa bits; shifting them into place builds 2^n.
        return Vector512.ShiftLeft((n + Vector512.Create(4503599627371519.0)).AsInt64(), 52).AsDouble();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> LessThan(Vector512<double> a, Vector512<double> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Select(Vector512<double> mask, Vector512<double> whenTrue, Vector512<double> whenFalse) => Vector512.ConditionalSelect(mask, whenTrue, whenFalse);
}

/// <summary>The two halves of a float vector widened to double, as one operand.</summary>
internal readonly struct Vector512x2(Vector512<double> lo, Vector512<double> hi)
{
    public readonly Vector512<double> Lo = lo, Hi = hi;
}

/// <summary>
/// <see cref="SimdD512"/> on both halves of a float vector at once, each operation on one half right after the same
/// one on the other: two independent chains side by side, so a function's long dependency chains (a division, then
/// Horner polynomials) overlap sooner than when one half follows the other (GELU's forward on 64×256: 69.6 → 65.7
/// cycles per 16 floats). Each lane sees the same operations, so the bits are the same. The operations are written
/// out rather than calling SimdD512's: that extra layer of calls ran past the JIT's inlining budget in GELU's saving
/// loop, which then took 114 µs instead of 15 for 64×256 values.
/// </summary>
internal readonly struct SimdD512x2 : ISimdD<Vector512x2>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Create(double value) { var v = Vector512.Create(value); return new(v, v); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Add(Vector512x2 a, Vector512x2 b) => new(a.Lo + b.Lo, a.Hi + b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Subtract(Vector512x2 a, Vector512x2 b) => new(a.Lo - b.Lo, a.Hi - b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Multiply(Vector512x2 a, Vector512x2 b) => new(a.Lo * b.Lo, a.Hi * b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Divide(Vector512x2 a, Vector512x2 b) => new(a.Lo / b.Lo, a.Hi / b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 MultiplyAdd(Vector512x2 a, Vector512x2 b, Vector512x2 c) => new(Vector512.FusedMultiplyAdd(a.Lo, b.Lo, c.Lo), Vector512.FusedMultiplyAdd(a.Hi, b.Hi, c.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Abs(Vector512x2 a) => new(Vector512.Abs(a.Lo), Vector512.Abs(a.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Min(Vector512x2 a, Vector512x2 b) => new(Vector512.MinNative(a.Lo, b.Lo), Vector512.MinNative(a.Hi, b.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Max(Vector512x2 a, Vector512x2 b) => new(Vector512.MaxNative(a.Lo, b.Lo), Vector512.MaxNative(a.Hi, b.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Round(Vector512x2 a) => new(Vector512.Round(a.Lo), Vector512.Round(a.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 PowerOfTwo(Vector512x2 n) => new(SimdD512.PowerOfTwo(n.Lo), SimdD512.PowerOfTwo(n.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 LessThan(Vector512x2 a, Vector512x2 b) => new(Vector512.LessThan(a.Lo, b.Lo), Vector512.LessThan(a.Hi, b.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x2 Select(Vector512x2 mask, Vector512x2 whenTrue, Vector512x2 whenFalse)
        => new(Vector512.ConditionalSelect(mask.Lo, whenTrue.Lo, whenFalse.Lo), Vector512.ConditionalSelect(mask.Hi, whenTrue.Hi, whenFalse.Hi));
}

/// <summary>The four halves of two float vectors widened to double, as one operand.</summary>
internal readonly struct Vector512x4(Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> d)
{
    public readonly Vector512<double> A = a, B = b, C = c, D = d;
}

/// <summary>
/// <see cref="SimdD512"/> on four halves at once, as <see cref="SimdD512x2"/> does on two: four independent chains
/// side by side. GELU's saving forward, whose value and derivative share long chains (a division, two Horner
/// polynomials, an exponential), runs its 512-bit loop two float vectors at a time this way: 64×256 values in 13.3
/// µs against 14.9 (a Stopwatch loop of the kernel, best of 7 runs of 3,000 calls each). The same operations on
/// every lane, so the same bits.
/// </summary>
internal readonly struct SimdD512x4 : ISimdD<Vector512x4>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x4 Create(double value) { var v = Vector512.Create(value); return new(v, v, v, v); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x4 Add(Vector512x4 a, Vector512x4 b) => new(a.A + b.A, a.B + b.B, a.C + b.C, a.D + b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x4 Subtract(Vector512x4 a, Vector512x4 b) => new(a.A - b.A, a.B - b.B, a.C - b.C, a.D - b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x4 Multiply(Vector512x4 a, Vector512x4 b) => new(a.A * b.A, a.B * b.B, a.C * b.C, a.D * b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x4 Divide(Vector512x4 a, Vector512x4 b) => new(a.A / b.A, a.B / b.B, a.C / b.C, a.D / b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512x4 MultiplyAdd(Vector512x4 a, Vector512x4 b, Vector512x4 c)
        => new(Vector512.FusedMultiplyAdd(a.A, b.A, c.A), Vector512.FusedMultiplyAdd(a.B, b.B, c.B), Vector512.FusedMultiplyAdd(a.C, b.C, c.C), Vector512.FusedMultiplyAdd(a.D, b.D, c.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x4 Abs(Vector512x4 a) => new(Vector512.Abs(a.A), Vector512.Abs(a.B), Vector512.Abs(a.C), Vector512.Abs(a.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512x4 Min(Vector512x4 a, Vector512x4 b) => new(Vector512.MinNative(a.A, b.A), Vector512.MinNative(a.B, b.B), Vector512.MinNative(a.C, b.C), Vector512.MinNative(a.D, b.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512x4 Max(Vector512x4 a, Vector512x4 b) => new(Vector512.MaxNative(a.A, b.A), Vector512.MaxNative(a.B, b.B), Vector512.MaxNative(a.C, b.C), Vector512.MaxNative(a.D, b.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512x4 Round(Vector512x4 a) => new(Vector512.Round(a.A), Vector512.Round(a.B), Vector512.Round(a.C), Vector512.Round(a.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512x4 PowerOfTwo(Vector512x4 n) => new(SimdD512.PowerOfTwo(n.A), SimdD512.PowerOfTwo(n.B), SimdD512.PowerOfTwo(n.C), SimdD512.PowerOfTwo(n.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512x4 LessThan(Vector512x4 a, Vector512x4 b) => new(Vector512.LessThan(a.A, b.A), Vector512.LessThan(a.B, b.B), Vector512.LessThan(a.C, b.C), Vector512.LessThan(a.D, b.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512x4 Select(Vector512x4 mask, Vector512x4 whenTrue, Vector512x4 whenFalse)
        => new(Vector512.ConditionalSelect(mask.A, whenTrue.A, whenFalse.A), Vector512.ConditionalSelect(mask.B, whenTrue.B, whenFalse.B),
            Vector512.ConditionalSelect(mask.C, whenTrue.C, whenFalse.C), Vector512.ConditionalSelect(mask.D, whenTrue.D, whenFalse.D));
}

/// <summary>256-bit vectors (AVX2).</summary>
internal readonly struct Simd256 : ISimd<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Create(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) => Vector256.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LanesFrom(int first) => Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(first)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> a) => Vector256.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool IsZero(Vector256<float> a) => a.AsUInt32() == Vector256<uint>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnySubnormal(Vector256<float> a) => Vector256.IsSubnormal(a) != Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> SubnormalLanes(Vector256<float> a) => Vector256.IsSubnormal(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> SubnormalUnits(Vector256<float> a) => Vector256.ConvertToSingle((Vector256.Abs(a).AsInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FromSubnormalUnits(Vector256<float> units, Vector256<float> sign)
        => ((Vector256.Add(units, Vector256.Create(SubnormalBits.Shift)).AsUInt32() - Vector256.Create(SubnormalBits.ShiftBits)) | (sign.AsUInt32() & Vector256.Create(SubnormalBits.Sign))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> InDouble<TF>(Vector256<float> x) where TF : IDoubleFunction
    {
        (var lo, var hi) = Vector256.Widen(x);
        return Vector256.Narrow(TF.Evaluate<SimdD256, Vector256<double>>(lo), TF.Evaluate<SimdD256, Vector256<double>>(hi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> InDouble<TF>(Vector256<float> a, Vector256<float> b) where TF : IDoubleFunction2
    {
        (var aLo, var aHi) = Vector256.Widen(a);
        (var bLo, var bHi) = Vector256.Widen(b);
        return Vector256.Narrow(TF.Evaluate<SimdD256, Vector256<double>>(aLo, bLo), TF.Evaluate<SimdD256, Vector256<double>>(aHi, bHi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> InDouble<TF>(Vector256<float> x, ref double second, nuint index) where TF : IDoubleFunctionPair
    {
        (var lo, var hi) = Vector256.Widen(x);
        var valueLo = TF.Evaluate<SimdD256, Vector256<double>>(lo, out var secondLo);
        var valueHi = TF.Evaluate<SimdD256, Vector256<double>>(hi, out var secondHi);
        secondLo.StoreUnsafe(ref second, index);
        secondHi.StoreUnsafe(ref second, index + (nuint)Vector256<double>.Count);
        return Vector256.Narrow(valueLo, valueHi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyInDouble(Vector256<float> a, ref double b, nuint index)
    {
        (var lo, var hi) = Vector256.Widen(a);
        return Vector256.Narrow(lo * Vector256.LoadUnsafe(ref b, index), hi * Vector256.LoadUnsafe(ref b, index + (nuint)Vector256<double>.Count));
    }
}

/// <summary>The double-precision companion of <see cref="Simd256"/>.</summary>
internal readonly struct SimdD256 : ISimdD<Vector256<double>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Create(double value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Subtract(Vector256<double> a, Vector256<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Multiply(Vector256<double> a, Vector256<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Divide(Vector256<double> a, Vector256<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Abs(Vector256<double> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Min(Vector256<double> a, Vector256<double> b) => Vector256.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Max(Vector256<double> a, Vector256<double> b) => Vector256.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Round(Vector256<double> a) => Vector256.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> PowerOfTwo(Vector256<double> n)
    {
        // n + (1023 + 2^52) holds the biased exponent in its low mantissa bits; shifting them into place builds 2^n.
        return Vector256.ShiftLeft((n + Vector256.Create(4503599627371519.0)).AsInt64(), 52).AsDouble();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> LessThan(Vector256<double> a, Vector256<double> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Select(Vector256<double> mask, Vector256<double> whenTrue, Vector256<double> whenFalse) => Vector256.ConditionalSelect(mask, whenTrue, whenFalse);
}

/// <summary>128-bit vectors (SSE, NEON).</summary>
internal readonly struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Create(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(ref float source, nuint index) => Vector128.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> mask, Vector128<float> whenTrue, Vector128<float> whenFalse) => Vector128.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LanesFrom(int first) => Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(first)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> a) => Vector128.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool IsZero(Vector128<float> a) => a.AsUInt32() == Vector128<uint>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnySubnormal(Vector128<float> a) => Vector128.IsSubnormal(a) != Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> SubnormalLanes(Vector128<float> a) => Vector128.IsSubnormal(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> SubnormalUnits(Vector128<float> a) => Vector128.ConvertToSingle((Vector128.Abs(a).AsInt32()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> FromSubnormalUnits(Vector128<float> units, Vector128<float> sign)
        => ((Vector128.Add(units, Vector128.Create(SubnormalBits.Shift)).AsUInt32() - Vector128.Create(SubnormalBits.ShiftBits)) | (sign.AsUInt32() & Vector128.Create(SubnormalBits.Sign))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> InDouble<TF>(Vector128<float> x) where TF : IDoubleFunction
    {
        (var lo, var hi) = Vector128.Widen(x);
        return Vector128.Narrow(TF.Evaluate<SimdD128, Vector128<double>>(lo), TF.Evaluate<SimdD128, Vector128<double>>(hi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> InDouble<TF>(Vector128<float> a, Vector128<float> b) where TF : IDoubleFunction2
    {
        (var aLo, var aHi) = Vector128.Widen(a);
        (var bLo, var bHi) = Vector128.Widen(b);
        return Vector128.Narrow(TF.Evaluate<SimdD128, Vector128<double>>(aLo, bLo), TF.Evaluate<SimdD128, Vector128<double>>(aHi, bHi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> InDouble<TF>(Vector128<float> x, ref double second, nuint index) where TF : IDoubleFunctionPair
    {
        (var lo, var hi) = Vector128.Widen(x);
        var valueLo = TF.Evaluate<SimdD128, Vector128<double>>(lo, out var secondLo);
        var valueHi = TF.Evaluate<SimdD128, Vector128<double>>(hi, out var secondHi);
        secondLo.StoreUnsafe(ref second, index);
        secondHi.StoreUnsafe(ref second, index + (nuint)Vector128<double>.Count);
        return Vector128.Narrow(valueLo, valueHi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyInDouble(Vector128<float> a, ref double b, nuint index)
    {
        (var lo, var hi) = Vector128.Widen(a);
        return Vector128.Narrow(lo * Vector128.LoadUnsafe(ref b, index), hi * Vector128.LoadUnsafe(ref b, index + (nuint)Vector128<double>.Count));
    }
}

/// <summary>The double-precision companion of <see cref="Simd128"/>.</summary>
internal readonly struct SimdD128 : ISimdD<Vector128<double>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Create(double value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Subtract(Vector128<double> a, Vector128<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Multiply(Vector128<double> a, Vector128<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Divide(Vector128<double> a, Vector128<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> MultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Abs(Vector128<double> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Min(Vector128<double> a, Vector128<double> b) => Vector128.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Max(Vector128<double> a, Vector128<double> b) => Vector128.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Round(Vector128<double> a) => Vector128.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> PowerOfTwo(Vector128<double> n)
    {
        // n + (1023 + 2^52) holds the biased exponent in its low mantissa bits; shifting them into place builds 2^n.
        return Vector128.ShiftLeft((n + Vector128.Create(4503599627371519.0)).AsInt64(), 52).AsDouble();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> LessThan(Vector128<double> a, Vector128<double> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Select(Vector128<double> mask, Vector128<double> whenTrue, Vector128<double> whenFalse) => Vector128.ConditionalSelect(mask, whenTrue, whenFalse);
}

/// <summary>
/// One lane: plain floats. Used where no SIMD is accelerated, for inputs shorter than one vector, and for the scalar
/// tails of reductions, so a kernel's scalar path is the same code as its vector path.
/// </summary>
internal readonly struct Simd1 : ISimd<float>
{
    // A mask lane that is "true"; only its bit pattern matters.
    private static readonly float AllBitsSet = BitConverter.Int32BitsToSingle(-1);

    public static int Count => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Create(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(ref float source, nuint index) => Unsafe.Add(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sqrt(float a) => MathF.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float a) => MathF.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Min(float a, float b) => MathF.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThan(float a, float b) => a < b ? AllBitsSet : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float mask, float whenTrue, float whenFalse) => BitConverter.SingleToInt32Bits(mask) != 0 ? whenTrue : whenFalse;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LanesFrom(int first) => first <= 0 ? AllBitsSet : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Or(float a, float b) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) | BitConverter.SingleToInt32Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool IsZero(float a) => BitConverter.SingleToInt32Bits(a) == 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Equal(float a, float b) => a == b ? AllBitsSet : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnySubnormal(float a) => float.IsSubnormal(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SubnormalLanes(float a) => float.IsSubnormal(a) ? AllBitsSet : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SubnormalUnits(float a) => BitConverter.SingleToInt32Bits(MathF.Abs(a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FromSubnormalUnits(float units, float sign)
        => BitConverter.UInt32BitsToSingle((BitConverter.SingleToUInt32Bits(units + SubnormalBits.Shift) - SubnormalBits.ShiftBits) | (BitConverter.SingleToUInt32Bits(sign) & SubnormalBits.Sign));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float InDouble<TF>(float x) where TF : IDoubleFunction => (float)TF.Evaluate<SimdD1, double>(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float InDouble<TF>(float a, float b) where TF : IDoubleFunction2 => (float)TF.Evaluate<SimdD1, double>(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float InDouble<TF>(float x, ref double second, nuint index) where TF : IDoubleFunctionPair
    {
        double value = TF.Evaluate<SimdD1, double>(x, out Unsafe.Add(ref second, index));
        return (float)value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyInDouble(float a, ref double b, nuint index) => (float)(a * Unsafe.Add(ref b, index));
}

/// <summary>One double lane: the companion of <see cref="Simd1"/>.</summary>
internal readonly struct SimdD1 : ISimdD<double>
{
    private static readonly double AllBitsSet = BitConverter.Int64BitsToDouble(-1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Create(double value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Add(double a, double b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Subtract(double a, double b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Multiply(double a, double b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Divide(double a, double b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double MultiplyAdd(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Abs(double a) => Math.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Min(double a, double b) => Math.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Max(double a, double b) => Math.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Round(double a) => Math.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double PowerOfTwo(double n) => BitConverter.Int64BitsToDouble(((long)n + 1023) << 52);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double LessThan(double a, double b) => a < b ? AllBitsSet : 0d;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Select(double mask, double whenTrue, double whenFalse) => BitConverter.DoubleToInt64Bits(mask) != 0 ? whenTrue : whenFalse;
}

/// <summary>The vector widths a kernel can run at.</summary>
internal enum VectorWidth
{
    /// <summary>One lane (<see cref="Simd1"/>).</summary>
    One = 1,
    /// <summary><see cref="Simd128"/>.</summary>
    V128 = 128,
    /// <summary><see cref="Simd256"/>.</summary>
    V256 = 256,
    /// <summary><see cref="Simd512"/>.</summary>
    V512 = 512,
}

/// <summary>Chooses the width a kernel runs at: the widest the hardware accelerates that fits the contiguous dimension.</summary>
/// <summary>The constants behind <see cref="ISimd{TVec}.SubnormalUnits"/> and <see cref="ISimd{TVec}.FromSubnormalUnits"/>.</summary>
internal static class SubnormalBits
{
    /// <summary>2^23: adding it to an integer below 2^23 puts that integer, exactly, in the significand field …</summary>
    internal const float Shift = 8388608f;

    /// <summary>… of a float whose other bits are those of 2^23, which subtracting these bits removes.</summary>
    internal const uint ShiftBits = 0x4B00_0000;

    internal const uint Sign = 0x8000_0000;
}

internal static class Widths
{
    // Test hook: the widest width kernels may use on this thread (0: no limit), so the narrower paths are tested on
    // a machine with AVX-512. Thread-static, so a test that narrows it does not change other threads' kernels.
    [ThreadStatic] private static int t_limit;

    /// <summary>The widest width (in bits, 1 for scalar) kernels may use on the calling thread; 0 means no limit.</summary>
    internal static int Limit { get => t_limit; set => t_limit = value; }

    /// <summary>The widest accelerated width whose vector fits in <paramref name="length"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static VectorWidth For(int length)
    {
        int limit = t_limit == 0 ? int.MaxValue : t_limit;
        if (Vector512.IsHardwareAccelerated && limit >= 512 && length >= Vector512<float>.Count) return VectorWidth.V512;
        if (Vector256.IsHardwareAccelerated && limit >= 256 && length >= Vector256<float>.Count) return VectorWidth.V256;
        if (Vector128.IsHardwareAccelerated && limit >= 128 && length >= Vector128<float>.Count) return VectorWidth.V128;
        return VectorWidth.One;
    }
}
