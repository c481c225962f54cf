using System;

namespace ModelGen;

/// <summary>PyTorch's parameter initialisations, drawn from an <see cref="Rng"/>.</summary>
public static class Init
{
    /// <summary>nn.Linear's default weight init, kaiming_uniform with a = √5: U(−1/√fanIn, 1/√fanIn).</summary>
    public static void KaimingUniform(Span<float> weight, int fanIn, ref Rng rng)
    {
        if (fanIn <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), fanIn, "fanIn must be positive.");
        // gain = √(2 / (1 + a²)) with a = √5, bound = gain·√(3 / fanIn) = 1/√fanIn.
        Uniform(weight, 1f / MathF.Sqrt(fanIn), ref rng);
    }

    /// <summary>nn.init.xavier_uniform_: U(±√(6 / (fanIn + fanOut))).</summary>
    public static void XavierUniform(Span<float> weight, int fanIn, int fanOut, ref Rng rng)
    {
        if (fanIn <= 0 || fanOut <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), "fanIn and fanOut must be positive.");
        Uniform(weight, MathF.Sqrt(6f / (fanIn + fanOut)), ref rng);
    }

    /// <summary>U(−bound, bound) for every value.</summary>
    public static void Uniform(Span<float> values, float bound, ref Rng rng)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (2f * rng.NextFloat() - 1f) * bound;
    }

    /// <summary>N(0, 1) for every value, as nn.Embedding's default.</summary>
    public static void Normal(Span<float> values, ref Rng rng)
    {
        for (int i = 0; i < values.Length; i++) values[i] = rng.NextNormal();
    }

    /// <summary>The same value everywhere: ones for norm weights, zeros for biases.</summary>
    public static void Fill(Span<float> values, float value) => values.Fill(value);
}
