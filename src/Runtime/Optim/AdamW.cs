using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

/// <summary>
/// AdamW exactly as <c>torch.optim.AdamW</c> (single-tensor path): decoupled weight decay θ ← θ·(1 − lr·λ) first,
/// then m ← m + (1−β1)(g − m), v ← β2·v + (1−β2)·g², and θ ← θ − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + eps).
/// One fused pass over the arena, allocation-free.
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates AdamW with PyTorch's defaults unless given.</summary>
    public AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be ≥ 0");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1)");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "must be ≥ 0");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be ≥ 0");
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

    /// <summary>Added to the denominator after the square root.</summary>
    public float Epsilon { get; }

    /// <summary>λ, the decoupled weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override int StateFloatsPerParameter => 2;

    /// <inheritdoc/>
    public override string[] StateNames => ["exp_avg", "exp_avg_sq"];

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state)
    {
        int n = parameters.Length;
        if (gradients.Length != n) throw new ArgumentException($"gradients holds {gradients.Length} values for {n} parameters.", nameof(gradients));
        if (state.Length < 2 * n) throw new ArgumentException($"state holds {state.Length} values; AdamW needs {2 * n}.", nameof(state));
        StepCount++;
        double biasCorrection1 = 1 - Math.Pow(Beta1, StepCount);
        double biasCorrection2 = 1 - Math.Pow(Beta2, StepCount);
        float stepSize = (float)(LearningRate / biasCorrection1);
        float correction2Sqrt = (float)Math.Sqrt(biasCorrection2);
        float decay = 1f - LearningRate * WeightDecay;
        float oneMinusBeta1 = 1f - Beta1, beta2 = Beta2, oneMinusBeta2 = 1f - Beta2, eps = Epsilon;

        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float m = ref MemoryMarshal.GetReference(state);
        ref float v = ref Unsafe.Add(ref m, n);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var gi = Vector512.LoadUnsafe(ref g, (nuint)i);
                var mi = Vector512.LoadUnsafe(ref m, (nuint)i);
                var vi = Vector512.LoadUnsafe(ref v, (nuint)i);
                var pi = Vector512.LoadUnsafe(ref p, (nuint)i) * Vector512.Create(decay);
                mi += Vector512.Create(oneMinusBeta1) * (gi - mi);
                vi = vi * Vector512.Create(beta2) + Vector512.Create(oneMinusBeta2) * gi * gi;
                var denominator = Vector512.Sqrt(vi) / Vector512.Create(correction2Sqrt) + Vector512.Create(eps);
                pi -= Vector512.Create(stepSize) * (mi / denominator);
                mi.StoreUnsafe(ref m, (nuint)i);
                vi.StoreUnsafe(ref v, (nuint)i);
                pi.StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            ref float mi = ref Unsafe.Add(ref m, i);
            ref float vi = ref Unsafe.Add(ref v, i);
            ref float pi = ref Unsafe.Add(ref p, i);
            pi *= decay;
            mi += oneMinusBeta1 * (gi - mi);
            vi = vi * beta2 + oneMinusBeta2 * gi * gi;
            pi -= stepSize * (mi / (MathF.Sqrt(vi) / correction2Sqrt + eps));
        }
    }
}
