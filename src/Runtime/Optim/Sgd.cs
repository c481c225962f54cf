using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelGen;

/// <summary>
/// SGD as <c>torch.optim.SGD</c> (the single-tensor path), operation for operation; PyTorch's <c>add(…, alpha=)</c>
/// is one fused multiply-add:
/// <code>
/// g ← g + λ·θ                                   grad = grad.add(param, alpha=weight_decay)   (if λ ≠ 0)
/// buf ← g (first step) or buf·μ + (1 − τ)·g     buf.mul_(momentum).add_(grad, alpha=1 - dampening)   (if μ ≠ 0)
/// g ← g + μ·buf (Nesterov) or buf
/// θ ← θ − lr·g                                  param.add_(grad, alpha=-lr)
/// </code>
/// The first step is the one taken while <see cref="Optimizer.StepCount"/> is 0. Allocation-free.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates SGD; the learning rate is required, as in PyTorch.</summary>
    /// <param name="learningRate">lr.</param>
    /// <param name="momentum">μ (default 0: no momentum buffer).</param>
    /// <param name="dampening">τ, dampening of the momentum update (default 0).</param>
    /// <param name="weightDecay">λ, L2 weight decay added to the gradient (default 0).</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and τ = 0, as in PyTorch).</param>
    public Sgd(float learningRate, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be ≥ 0.");
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must be ≥ 0.");
        if (!float.IsFinite(dampening)) throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "The dampening must be finite.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay must be ≥ 0.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(nesterov));
        LearningRate = learningRate;
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
    }

    /// <summary>μ, the momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>τ, dampening of the momentum update.</summary>
    public float Dampening { get; }

    /// <summary>λ, L2 weight decay added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether to use Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public override int StateFloatsPerParameter => Momentum != 0 ? 1 : 0;

    /// <inheritdoc/>
    public override string[] StateNames => Momentum != 0 ? ["momentum_buffer"] : [];

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state)
    {
        int n = parameters.Length;
        if (gradients.Length < n)
            throw new ArgumentException($"gradients has {gradients.Length} values for {n} parameters.", nameof(gradients));
        if (state.Length < (long)StateFloatsPerParameter * n)
            throw new ArgumentException($"state has {state.Length} values; SGD needs {StateFloatsPerParameter} × {n}.", nameof(state));

        var c = new Coefficients
        {
            First = StepCount == 0,
            HasDecay = WeightDecay != 0,
            HasMomentum = Momentum != 0,
            Nesterov = Nesterov,
            WeightDecay = WeightDecay,
            Momentum = Momentum,
            OneMinusDampening = (float)(1 - Hyperparameter.AsWritten(Dampening)),
            NegativeLearningRate = -LearningRate,
        };
        StepCount++;

        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        // Without momentum there is no state; any reference will do, it is never read.
        ref float buffer = ref c.HasMomentum ? ref MemoryMarshal.GetReference(state) : ref p;
        nuint count = (nuint)n, done = 0;
        switch (Widths.For(n))
        {
            case VectorWidth.V512: done = Update<Simd512, Vector512<float>>(ref p, ref g, ref buffer, count, c); break;
            case VectorWidth.V256: done = Update<Simd256, Vector256<float>>(ref p, ref g, ref buffer, count, c); break;
            case VectorWidth.V128: done = Update<Simd128, Vector128<float>>(ref p, ref g, ref buffer, count, c); break;
        }
        Update<Simd1, float>(ref Unsafe.Add(ref p, done), ref Unsafe.Add(ref g, done), ref Unsafe.Add(ref buffer, done), count - done, c);
    }

    private struct Coefficients
    {
        public bool First, HasDecay, HasMomentum, Nesterov;
        public float WeightDecay, Momentum, OneMinusDampening, NegativeLearningRate;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint Update<TS, TVec>(ref float p, ref float g, ref float buffer, nuint count, in Coefficients c)
        where TS : ISimd<TVec> where TVec : struct
    {
        TVec decay = TS.Create(c.WeightDecay), momentum = TS.Create(c.Momentum);
        TVec keep = TS.Create(c.OneMinusDampening), negativeLr = TS.Create(c.NegativeLearningRate);
        nuint width = (nuint)TS.Count, i = 0;
        for (; i + width <= count; i += width)
        {
            TVec pi = TS.Load(ref p, i), gi = TS.Load(ref g, i);
            if (c.HasDecay) gi = TS.MultiplyAdd(pi, decay, gi);
            if (c.HasMomentum)
            {
                TVec bi = c.First ? gi : TS.MultiplyAdd(gi, keep, TS.Multiply(TS.Load(ref buffer, i), momentum));
                TS.Store(bi, ref buffer, i);
                gi = c.Nesterov ? TS.MultiplyAdd(bi, momentum, gi) : bi;
            }
            TS.Store(TS.MultiplyAdd(gi, negativeLr, pi), ref p, i);
        }
        return i;
    }
}
