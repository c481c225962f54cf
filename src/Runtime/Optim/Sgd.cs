using System;

namespace ModelGen;

/// <summary>
/// SGD as <c>torch.optim.SGD</c>: g ← g + λθ (weight decay); with momentum μ, buf ← g on the first step and
/// buf ← μ·buf + (1 − dampening)·g after; Nesterov uses g + μ·buf, otherwise buf; then θ ← θ − lr·g.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates SGD; the learning rate is required, as in PyTorch.</summary>
    public Sgd(float learningRate, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be ≥ 0");
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be ≥ 0");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be ≥ 0");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(nesterov));
        LearningRate = learningRate;
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
    }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>Dampening of the momentum update.</summary>
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
        if (gradients.Length != n) throw new ArgumentException($"gradients holds {gradients.Length} values for {n} parameters.", nameof(gradients));
        if (state.Length < StateFloatsPerParameter * n) throw new ArgumentException($"state holds {state.Length} values; SGD needs {StateFloatsPerParameter * n}.", nameof(state));
        bool first = StepCount == 0;
        StepCount++;
        float lr = LearningRate, mu = Momentum, keep = 1f - Dampening, decay = WeightDecay;
        for (int i = 0; i < n; i++)
        {
            float g = gradients[i] + decay * parameters[i];
            if (mu != 0)
            {
                float buffer = first ? g : mu * state[i] + keep * g;
                state[i] = buffer;
                g = Nesterov ? g + mu * buffer : buffer;
            }
            parameters[i] -= lr * g;
        }
    }
}
