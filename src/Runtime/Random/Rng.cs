using System;
using System.Runtime.CompilerServices;

namespace ModelGen;

/// <summary>
/// A small, allocation-free random generator (xoshiro256**, seeded through SplitMix64). It is a value type:
/// copying it copies the position in the stream, which is how a run saves and restores it.
/// </summary>
public struct Rng : IEquatable<Rng>
{
    /// <summary>The four state words; together they are the position in the stream.</summary>
    public ulong S0, S1, S2, S3;

    /// <summary>Starts the stream for <paramref name="seed"/>; equal seeds give equal streams.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        S0 = SplitMix64(ref x);
        S1 = SplitMix64(ref x);
        S2 = SplitMix64(ref x);
        S3 = SplitMix64(ref x);
    }

    /// <summary>Restores a position saved from <see cref="S0"/> … <see cref="S3"/>.</summary>
    public Rng(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0) throw new ArgumentException("An Rng state of all zeros is invalid.");
        (S0, S1, S2, S3) = (s0, s1, s2, s3);
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitRotate(S1 * 5, 7) * 9;
        ulong t = S1 << 17;
        S2 ^= S0;
        S3 ^= S1;
        S1 ^= S2;
        S0 ^= S3;
        S2 ^= t;
        S3 = BitRotate(S3, 45);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BitRotate(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>A float uniform in [0, 1), with 24 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A double uniform in [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer uniform in [0, <paramref name="n"/>), without modulo bias.</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The range must be positive.");
        // Lemire's multiply-shift with rejection.
        ulong m = (NextUInt64() >> 32) * (ulong)n;
        uint low = (uint)m;
        if (low < (uint)n)
        {
            uint threshold = (uint)(-n) % (uint)n;
            while (low < threshold)
            {
                m = (NextUInt64() >> 32) * (ulong)n;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>A standard normal sample (Box–Muller, one value per call so the stream position is simple).</summary>
    public float NextNormal()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <inheritdoc/>
    public readonly bool Equals(Rng other) => S0 == other.S0 && S1 == other.S1 && S2 == other.S2 && S3 == other.S3;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is Rng other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => HashCode.Combine(S0, S1, S2, S3);
}
