using System;

namespace ModelGen;

/// <summary>PyTorch's default parameter initialisations, drawn from an <see cref="Rng"/> (one draw per value, in order).</summary>
public static class Init
{
    /// <summary>
    /// nn.Linear's default weight init, <c>kaiming_uniform_(w, a=√5)</c>: U(−1/√fanIn, 1/√fanIn).
    /// (gain = √(2/(1 + a²)) = √(1/3), bound = gain·√(3/fanIn) = 1/√fanIn.)
    /// </summary>
    /// <param name="weight">The values to fill.</param>
    /// <param name="fanIn">Input features of the layer (positive).</param>
    /// <param name="rng">The generator, advanced by one draw per value.</param>
    public static void KaimingUniform(Span<float> weight, int fanIn, ref Rng rng)
    {
        if (fanIn <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), fanIn, "fanIn must be positive.");
        Uniform(weight, 1f / MathF.Sqrt(fanIn), ref rng);
    }

    /// <summary><c>nn.init.xavier_uniform_</c> with gain 1: U(±√(6 / (fanIn + fanOut))).</summary>
    /// <param name="weight">The values to fill.</param>
    /// <param name="fanIn">Input features of the layer (positive).</param>
    /// <param name="fanOut">Output features of the layer (positive).</param>
    /// <param name="rng">The generator, advanced by one draw per value.</param>
    public static void XavierUniform(Span<float> weight, int fanIn, int fanOut, ref Rng rng)
    {
        if (fanIn <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), fanIn, "fanIn must be positive.");
        if (fanOut <= 0) throw new ArgumentOutOfRangeException(nameof(fanOut), fanOut, "fanOut must be positive.");
        Uniform(weight, MathF.Sqrt(6f / (fanIn + fanOut)), ref rng);
    }

    /// <summary>U(−bound, bound) for every value (nn.Linear's bias uses bound 1/√fanIn).</summary>
    /// <param name="values">The values to fill.</param>
    /// <param name="bound">Half-width of the interval (≥ 0).</param>
    /// <param name="rng">The generator, advanced by one draw per value.</param>
    public static void Uniform(Span<float> values, float bound, ref Rng rng)
    {
        if (!(bound >= 0) || float.IsInfinity(bound)) throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be finite and ≥ 0.");
        Rng local = rng;
        // 2u − 1 is exact for the 24-bit u, so the values are symmetric about 0 and lie in [−bound, bound).
        for (int i = 0; i < values.Length; i++) values[i] = (2f * local.NextFloat() - 1f) * bound;
        rng = local;
    }

    /// <summary>N(0, 1) for every value, as nn.Embedding's default.</summary>
    /// <param name="values">The values to fill.</param>
    /// <param name="rng">The generator, advanced by one draw per value.</param>
    public static void Normal(Span<float> values, ref Rng rng)
    {
        Rng local = rng;
        for (int i = 0; i < values.Length; i++) values[i] = local.NextNormal();
        rng = local;
    }

    /// <summary>The same value everywhere: ones for norm weights, zeros for biases.</summary>
    /// <param name="values">The values to fill.</param>
    /// <param name="value">The value.</param>
    public static void Fill(Span<float> values, float value) => values.Fill(value);

    /// <summary>
    /// Rearranges a (rows, columns) tensor, row-major, into its transpose in place: how a generated model keeps a
    /// weight it stores transposed (see <see cref="ParameterInfo.StoredTransposed"/>) after drawing it in PyTorch's
    /// order, so that the same seed gives the same weights in either layout.
    /// </summary>
    public static void Transpose(Span<float> values, int rows, int columns)
    {
        if (values.Length != rows * columns)
            throw new ArgumentException($"A ({rows}, {columns}) tensor has {rows * columns} values; the span holds {values.Length}.", nameof(values));
        Kernels.Transpose(values.ToArray(), rows, columns, values);
    }
}
