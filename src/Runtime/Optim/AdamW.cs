using System;
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
    public override unsafe void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state)
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

        fixed (float* p = parameters, g = gradients, m = state)
        {
            var operands = new Operands { P = p, G = g, M = m, V = m + n, Length = n, C = c };
            KernelThreads.For(KernelThreads.ChunkCount(n, Chunk), &operands, &UpdateChunks, minimumPerThread: 4);
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
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpdateChunks(void* state, int begin, int end)
    {
        var o = (Operands*)state;
        (int start, int stop) = KernelThreads.ChunkValues(o->Length, Chunk, begin, end);
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
    }

    // Updates whole vectors of `count` values; returns how many it did.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint Update<TS, TVec>(ref float p, ref float g, ref float m, ref float v, nuint count, in Coefficients c)
        where TS : ISimd<TVec> where TVec : struct
    {
        TVec decay = TS.Create(c.Decay), weight = TS.Create(c.LerpWeight), beta2 = TS.Create(c.Beta2);
        TVec oneMinusBeta2 = TS.Create(c.OneMinusBeta2), correction2 = TS.Create(c.BiasCorrection2Sqrt);
        TVec eps = TS.Create(c.Eps), negativeStep = TS.Create(c.NegativeStepSize);
        TVec fromStart = TS.LanesFrom(c.LerpFromStart ? 0 : TS.Count);
        nuint width = (nuint)TS.Count, i = 0;
        for (; i + width <= count; i += width)
        {
            TVec gi = TS.Load(ref g, i), mi = TS.Load(ref m, i), vi = TS.Load(ref v, i);
            TVec pi = TS.Multiply(TS.Load(ref p, i), decay);
            mi = TS.MultiplyAdd(weight, TS.Subtract(gi, mi), TS.Select(fromStart, mi, gi));
            vi = TS.Add(TS.Multiply(vi, beta2), TS.Multiply(TS.Multiply(oneMinusBeta2, gi), gi));
            TVec denominator = TS.Add(TS.Divide(TS.Sqrt(vi), correction2), eps);
            pi = TS.Add(pi, TS.Divide(TS.Multiply(negativeStep, mi), denominator));
            TS.Store(mi, ref m, i);
            TS.Store(vi, ref v, i);
            TS.Store(pi, ref p, i);
        }
        return i;
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
