using System;
using System.Numerics.Tensors;

namespace ModelGen;

public static partial class Kernels
{
    /// <summary>
    /// Dropout in train mode, as <c>nn.Dropout(p)</c>: for each value draw u = rng.NextFloat() and keep it when u ≥ p,
    /// scaled by 1/(1−p); mask holds that factor (0 or 1/(1−p)) for the backward. p = 0 draws nothing and copies x.
    /// </summary>
    public static void DropoutForward(Span<float> y, Span<float> mask, ReadOnlySpan<float> x, float p, ref Rng rng)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in [0, 1).");
        Need(y, x.Length, nameof(y)); Need(mask, x.Length, nameof(mask));
        if (p == 0)
        {
            mask[..x.Length].Fill(1f);
            x.CopyTo(y);
            return;
        }
        float scale = 1f / (1f - p);
        for (int i = 0; i < x.Length; i++)
        {
            float keep = rng.NextFloat() >= p ? scale : 0f;
            mask[i] = keep;
            y[i] = x[i] * keep;
        }
    }

    /// <summary>dx = dy · mask. Overwrites dx.</summary>
    public static void DropoutBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> mask)
    {
        Need(dx, dy.Length, nameof(dx)); Need(mask, dy.Length, nameof(mask));
        TensorPrimitives.Multiply(dy, mask[..dy.Length], dx[..dy.Length]);
    }
}
