using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

/// <summary>
/// AdamW as <c>torch.optim.AdamW</c> (the single-tensor path PyTorch takes on the CPU), operation for operation:
/// <code>
/// t += 1
/// θ ← θ·(1 − lr·λ)                                  param.mul_(1 - lr * weight_decay)
/// m ← lerp(m, g, 1 − β1)                            exp_avg.lerp_(grad, 1 - beta1)
/// v ← v·β2 + ((1 − β2)·g)·g                         exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
/// denom ← √v / √(1 − β2ᵗ) + eps                     (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
/// θ ← θ + (−lr/(1 − β1ᵗ))·m / denom                 param.addcdiv_(exp_avg, denom, value=-step_size)
/// </code>
/// The scalar coefficients are computed in double from the hyper-parameters as written (see
/// <see cref="Hyperparameter.AsWritten"/>) and rounded to float once, as PyTorch does with its Python floats.
/// One fused pass over the arena; allocation-free.
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates AdamW with PyTorch's defaults unless given.</summary>
    /// <param name="learningRate">lr (default 1e-3).</param>
    /// <param name="beta1">β1, the first-moment decay (default 0.9).</param>
    /// <param name="beta2">β2, the second-moment decay (default 0.999).</param>
    /// <param name="eps">Added to the denominator after the square root (default 1e-8).</param>
    /// <param name="weightDecay">λ, the decoupled weight decay (default 0.01).</param>
    public AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be ≥ 0.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be ≥ 0.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay must be ≥ 0.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = eps;
        WeightDecay = weightDecay;
    }

    /// <summary>β1, the first-moment decay.</summary>
    public float Beta1 { get; }

    /// <summary>β2, the second-moment decay.</summary>
    public float Beta2 { get; }

    /// <summary>eps, added to the denominator after the square root.</summary>
    public float Epsilon { get; }

    /// <summary>λ, the decoupled weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override int StateFloatsPerParameter => 2;

    /// <inheritdoc/>
    public override string[] StateNames => ["exp_avg", "exp_avg_sq"];

    /// <inheritdoc/>
    /// <remarks>State slot 0 (the first <c>parameters.Length</c> values) is exp_avg, slot 1 is exp_avg_sq.</remarks>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state) => StepCore(parameters, gradients, state, null);

    /// <inheritdoc/>
    /// <remarks>
    /// On more than one kernel thread, when <paramref name="tensors"/> lie one after another over the whole arena,
    /// thread t of T updates the t-th of T equal parts of every tensor (cut at 16-value boundaries of the arena), where
    /// without them it takes the t-th part of the arena. The weight gradient of a weight stored transposed (the first
    /// layer of an image classifier) is split so, by rows, so each thread then reads the gradients it wrote, from its
    /// own core's cache: in the MNIST trainer on two threads, AdamW took 35.0 µs a step against 38.6 and the trainer
    /// ran 1.8% faster. Every value sees the same operations either way.
    /// </remarks>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, IReadOnlyList<ParameterInfo> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        StepCore(parameters, gradients, state, tensors);
    }

    private void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, IReadOnlyList<ParameterInfo>? tensors)
    {
        int n = parameters.Length;
        if (gradients.Length < n)
            throw new ArgumentException($"gradients has {gradients.Length} values for {n} parameters.", nameof(gradients));
        if (state.Length < 2L * n)
            throw new ArgumentException($"state has {state.Length} values; AdamW needs 2 × {n}.", nameof(state));

        StepCount++;
        double lr = Hyperparameter.AsWritten(LearningRate), beta1 = Hyperparameter.AsWritten(Beta1);
        double beta2 = Hyperparameter.AsWritten(Beta2), weightDecay = Hyperparameter.AsWritten(WeightDecay);
        double biasCorrection1 = 1 - Math.Pow(beta1, StepCount);
        double biasCorrection2 = 1 - Math.Pow(beta2, StepCount);
        double weight = 1 - beta1;
        var c = new Coefficients
        {
            Decay = (float)(1 - lr * weightDecay),
            // PyTorch's lerp: start + w·(end − start) for w < 0.5, else end − (1 − w)·(end − start), each one FMA.
            LerpFromStart = weight < 0.5,
            LerpWeight = weight < 0.5 ? (float)weight : (float)weight - 1f,
            Beta2 = (float)beta2,
            OneMinusBeta2 = (float)(1 - beta2),
            BiasCorrection2Sqrt = (float)Math.Sqrt(biasCorrection2),
            Eps = (float)Hyperparameter.AsWritten(Epsilon),
            NegativeStepSize = (float)(-(lr / biasCorrection1)),
        };
        // With (float)(1 − β1) = 1 the decayed moment is an exact zero, whose sign lerp takes from the gradient's.
        c.KeepsParameterAbove = (float)weight == 1f ? float.PositiveInfinity : UpdateBelowHalfUlpAbove(c.NegativeStepSize, c.Eps);

        UpdateAll(parameters, gradients, state, Bounds(tensors, parameters.Length), c);
    }

    // The tensors' offsets and then the arena's length, made once per table (a model passes the same one every step),
    // or null for a table that does not tile the arena, whose tensors are then ignored (the results are the same).
    private IReadOnlyList<ParameterInfo>? _boundsOf;
    private int[]? _bounds;

    private int[]? Bounds(IReadOnlyList<ParameterInfo>? tensors, int n)
    {
        if (tensors is null) return null;
        if (ReferenceEquals(tensors, _boundsOf) && _bounds![^1] == n) return _bounds;
        long next = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            if (tensors[i].Offset != next) return null;
            next += tensors[i].Length;
        }
        if (next != n) return null;
        var bounds = new int[tensors.Count + 1];
        for (int i = 0; i < tensors.Count; i++) bounds[i] = tensors[i].Offset;
        bounds[^1] = n;
        (_boundsOf, _bounds) = (tensors, bounds);
        return bounds;
    }

    private static unsafe void UpdateAll(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, int[]? bounds, in Coefficients c)
    {
        int n = parameters.Length, chunks = KernelThreads.ChunkCount(n, Chunk), shares = KernelThreads.Count;
        // Tensor by tensor only when the job splits at all (at least 4 chunks a thread, as below).
        bool byTensor = bounds is not null && shares > 1 && chunks >= 2 * 4;
        fixed (float* p = parameters, g = gradients, m = state)
        fixed (int* b = bounds)
        {
            var operands = new Operands { P = p, G = g, M = m, V = m + n, Length = n, C = c, Bounds = b, Tensors = byTensor ? bounds!.Length - 1 : 0, Shares = shares };
            if (byTensor)
                KernelThreads.For(shares, &operands, &UpdateShares, minimumPerThread: 1);
            else
                KernelThreads.For(chunks, &operands, &UpdateChunks, minimumPerThread: 4);
        }
    }

    // Threads split the parameters in chunks of this many (the last chunk takes the remainder). Every element sees
    // the same operations whichever chunk or lane it falls in, so the split never changes a result.
    private const int Chunk = 4096;

    private unsafe struct Operands
    {
        public float* P, G, M, V;
        public int Length;
        public Coefficients C;

        // With Tensors > 0: the tensors' offsets, then the arena's length (Tensors + 1 values), in Shares parts each.
        public int* Bounds;
        public int Tensors, Shares;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpdateChunks(void* state, int begin, int end)
    {
        var o = (Operands*)state;
        (int start, int stop) = KernelThreads.ChunkValues(o->Length, Chunk, begin, end);
        UpdateRange(o, start, stop);
    }

    // Shares [begin, end): share t is the t-th of o->Shares parts of every tensor, each cut rounded down to a multiple
    // of 16 values of the arena (a cache line), so that two threads write one line only where two tensors meet.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpdateShares(void* state, int begin, int end)
    {
        var o = (Operands*)state;
        int shares = o->Shares;
        for (int t = begin; t < end; t++)
        {
            for (int i = 0; i < o->Tensors; i++)
            {
                int first = o->Bounds[i], length = o->Bounds[i + 1] - first;
                int start = Cut(first, length, t, shares), stop = Cut(first, length, t + 1, shares);
                if (stop > start) UpdateRange(o, start, stop);
            }
        }

        static int Cut(int first, int length, int part, int parts)
            => part == 0 ? first : part == parts ? first + length : Math.Max(first, (int)(first + (long)length * part / parts) & ~15);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpdateRange(Operands* o, int start, int stop)
    {
        ref float p = ref o->P[start];
        ref float g = ref o->G[start];
        ref float m = ref o->M[start];
        ref float v = ref o->V[start];
        nuint count = (nuint)(stop - start), done = 0;
        switch (Widths.For(stop - start))
        {
            case VectorWidth.V512: done = Update<Simd512, Vector512<float>>(ref p, ref g, ref m, ref v, count, o->C); break;
            case VectorWidth.V256: done = Update<Simd256, Vector256<float>>(ref p, ref g, ref m, ref v, count, o->C); break;
            case VectorWidth.V128: done = Update<Simd128, Vector128<float>>(ref p, ref g, ref m, ref v, count, o->C); break;
        }
        // The tail, one lane at a time with the same code, so every element sees the same operations.
        Update<Simd1, float>(ref Unsafe.Add(ref p, done), ref Unsafe.Add(ref g, done), ref Unsafe.Add(ref m, done), ref Unsafe.Add(ref v, done), count - done, o->C);
    }

    private struct Coefficients
    {
        public float Decay, LerpWeight, Beta2, OneMinusBeta2, BiasCorrection2Sqrt, Eps, NegativeStepSize;
        public bool LerpFromStart;

        /// <summary>See <see cref="UpdateBelowHalfUlpAbove"/>.</summary>
        public float KeepsParameterAbove;
    }

    // Subnormal first moments. A weight whose input is rarely nonzero (a border pixel) gets a zero gradient in most
    // steps, and its first moment decays by β1 a step through the subnormal range, where each float operation on it
    // costs a microcode assist. After two epochs of the MNIST trainer, 1,530 of the first layer's 12,544 vectors hold
    // one, and a step on that state took 76-82 µs, against 58-60 µs with those moments set to zero (one thread, timed by
    // a harness outside the repository; bench/README.md has the trainer's own numbers). Such a lane's results are known
    // without touching the subnormal, bit for bit:
    //   m ← fma(w, 0 − m, m)          = m·(1 − w) rounded to the subnormal grid, whose step is 2^−149. With m = u·2^−149
    //                                   that is u·(1 − w) rounded to an integer, which fma(w, −u, u + 2^23) rounds
    //                                   exactly (its result lies in [2^23, 2^24), where the float step is 1). (The other
    //                                   form of lerp, fma(w − 1, 0 − m, 0), has the same exact value.)
    //   θ ← θ·decay + (−step·m)/denom = θ·decay, since the update is below half an ulp of θ·decay whenever
    //                                   |θ·decay| > KeepsParameterAbove (denom ≥ eps).
    // So a vector whose subnormal moments all have a zero gradient and such a parameter computes its other lanes as
    // usual, with those moments taken as 0 (which leaves θ·decay as it is and v as it would be), and puts their moments
    // in from the integer arithmetic. Any other vector with a subnormal moment takes the plain path, assists and all.
    // The step on that state: 58-63 µs. The test for a subnormal is on the bits and branches on a mask register, which
    // costs the common vector nothing measurable (testing it as a vector instead cost 11 µs a step).

    /// <summary>
    /// A bound on |θ·decay| above which a subnormal first moment's update, |(−step·m)/denom| with denom ≥ eps, is
    /// below half an ulp of θ·decay, so that adding it leaves θ·decay unchanged: +∞ when eps is 0.
    /// </summary>
    private static float UpdateBelowHalfUlpAbove(float negativeStepSize, float eps)
    {
        // |m| < 2^−126, so |−step·m| rounds to at most |step|·2^−126 + 2^−149, and the quotient by denom ≥ eps to at
        // most that over eps, times 1 + 2^−23: below twice (|step|·2^−126 + 2^−149)/eps. Half an ulp of a normal x is
        // more than |x|·2^−25, so |x| above 2^25 times that bound (and normal: at least 2^−100) is enough.
        double update = 2 * (Math.Abs((double)negativeStepSize) * Math.ScaleB(1, -126) + Math.ScaleB(1, -149)) / eps;
        double bound = Math.Max(Math.ScaleB(1, -100), Math.ScaleB(update, 25));
        return bound < float.MaxValue ? (float)(bound * (1 + 1e-6)) : float.PositiveInfinity;
    }

    // Updates whole vectors of `count` values; returns how many it did.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint Update<TS, TVec>(ref float p, ref float g, ref float m, ref float v, nuint count, in Coefficients c)
        where TS : ISimd<TVec> where TVec : struct
    {
        var k = new VectorCoefficients<TVec>
        {
            Decay = TS.Create(c.Decay), Weight = TS.Create(c.LerpWeight), FromStart = TS.LanesFrom(c.LerpFromStart ? 0 : TS.Count),
            Beta2 = TS.Create(c.Beta2), OneMinusBeta2 = TS.Create(c.OneMinusBeta2), Correction2 = TS.Create(c.BiasCorrection2Sqrt),
            Eps = TS.Create(c.Eps), NegativeStep = TS.Create(c.NegativeStepSize),
        };
        TVec keepsAbove = TS.Create(c.KeepsParameterAbove);
        nuint width = (nuint)TS.Count, i = 0;
        for (; i + width <= count; i += width)
        {
            TVec gi = TS.Load(ref g, i), mi = TS.Load(ref m, i), vi = TS.Load(ref v, i);
            TVec pi = TS.Multiply(TS.Load(ref p, i), k.Decay);
            if (TS.AnySubnormal(mi) && DecaysFromBits<TS, TVec>(mi, gi, pi, keepsAbove, k, out TVec subnormal, out TVec decayed))
            {
                mi = TS.Select(subnormal, TS.Zero, mi);
                Moments<TS, TVec>(gi, ref mi, ref vi, ref pi, k);
                mi = TS.Select(subnormal, decayed, mi);
            }
            else
            {
                Moments<TS, TVec>(gi, ref mi, ref vi, ref pi, k);
            }
            TS.Store(mi, ref m, i);
            TS.Store(vi, ref v, i);
            TS.Store(pi, ref p, i);
        }
        return i;
    }

    // Whether every subnormal moment of the vector has a zero gradient and a parameter above the bound (the comment
    // above UpdateBelowHalfUlpAbove); if so, which lanes they are and their new moments, rounded among the integers in
    // [2^23, 2^24), to be put in after the other lanes are computed with those moments taken as 0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool DecaysFromBits<TS, TVec>(TVec mi, TVec gi, TVec pi, TVec keepsAbove, in VectorCoefficients<TVec> k, out TVec subnormal, out TVec decayed)
        where TS : ISimd<TVec> where TVec : struct
    {
        subnormal = TS.SubnormalLanes(mi);
        TVec eligible = TS.Select(TS.Equal(gi, TS.Zero), TS.LessThan(keepsAbove, TS.Abs(pi)), TS.Zero);
        TVec units = TS.SubnormalUnits(mi), shift = TS.Create(SubnormalBits.Shift);
        TVec shifted = TS.MultiplyAdd(k.Weight, TS.Subtract(TS.Zero, units), TS.Add(TS.Select(k.FromStart, units, TS.Zero), shift));
        decayed = TS.FromSubnormalUnits(TS.Subtract(shifted, shift), mi);
        return TS.IsZero(TS.Select(eligible, TS.Zero, subnormal));
    }

    private struct VectorCoefficients<TVec> where TVec : struct
    {
        public TVec Decay, Weight, FromStart, Beta2, OneMinusBeta2, Correction2, Eps, NegativeStep;
    }

    // The update of one vector, after θ·decay: PyTorch's operations in its order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Moments<TS, TVec>(TVec gi, ref TVec mi, ref TVec vi, ref TVec pi, in VectorCoefficients<TVec> k)
        where TS : ISimd<TVec> where TVec : struct
    {
        mi = TS.MultiplyAdd(k.Weight, TS.Subtract(gi, mi), TS.Select(k.FromStart, mi, gi));
        vi = TS.Add(TS.Multiply(vi, k.Beta2), TS.Multiply(TS.Multiply(k.OneMinusBeta2, gi), gi));
        TVec denominator = TS.Add(TS.Divide(TS.Sqrt(vi), k.Correction2), k.Eps);
        pi = TS.Add(pi, TS.Divide(TS.Multiply(k.NegativeStep, mi), denominator));
    }
}

/// <summary>How optimizers turn their float hyper-parameters into the doubles PyTorch computes with.</summary>
internal static class Hyperparameter
{
    /// <summary>
    /// The double a user wrote for <paramref name="value"/>: the shortest decimal that round-trips the float, read as
    /// a double (0.999f → 0.999, not 0.99900001287…). PyTorch's hyper-parameters are Python floats, and coefficients
    /// like 1 − β2 are computed from them in double: from the float itself 1 − β2 would be off by 1.3e-5 relative.
    /// Allocation-free.
    /// </summary>
    internal static double AsWritten(float value)
    {
        if (!float.IsFinite(value)) return value;
        Span<char> text = stackalloc char[32];
        if (!value.TryFormat(text, out int written, default, CultureInfo.InvariantCulture)) return value;
        return double.Parse(text[..written], NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
