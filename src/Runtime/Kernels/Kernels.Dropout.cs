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
        CheckLength(y, x.Length); CheckLength(mask, x.Length);
        if (p == 0)
        {
            mask[..x.Length].Fill(1f);
            x.CopyTo(y);
            return;
        }
        float scale = 1f / (1f - p);
        Span<float> m = mask[..x.Length];
        Rng local = rng; // the generator's state stays in registers through the loop
        for (int i = 0; i < m.Length; i++) m[i] = local.NextFloat() >= p ? scale : 0f;
        rng = local;
        TensorPrimitives.Multiply(x, m, y[..x.Length]);
    }

    /// <summary>dx = dy · mask. Overwrites dx.</summary>
    public static void DropoutBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> mask)
    {
        CheckLength(dx, dy.Length); CheckLength(mask, dy.Length);
        TensorPrimitives.Multiply(dy, mask[..dy.Length], dx[..dy.Length]);
    }
}
