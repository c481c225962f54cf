using System;

namespace ModelGen.Tests.Models;

/// <summary>
/// Independent scalar implementations of every layer in double precision, written from PyTorch's definitions.
/// The generated models are checked against these (forward values) and against central finite differences of
/// these (gradients).
/// </summary>
internal static class Reference
{
    /// <summary>y = x Wᵀ + b, W stored (out, in), over <paramref name="rows"/> vectors.</summary>
    public static double[] Linear(double[] x, int rows, int inF, int outF, double[] w, double[]? b)
    {
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    }

    /// <summary>nn.LayerNorm: biased variance, eps inside the square root.</summary>
    public static double[] LayerNorm(double[] x, int rows, int d, double[] w, double[] b, double eps)
    {
        var y = new double[rows * d];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0;
            for (int i = 0; i < d; i++) mean += x[r * d + i];
            mean /= d;
            double variance = 0;
            for (int i = 0; i < d; i++) variance += (x[r * d + i] - mean) * (x[r * d + i] - mean);
            variance /= d;
            for (int i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) / Math.Sqrt(variance + eps) * w[i] + b[i];
        }
        return y;
    }

    /// <summary>RMSNorm: x / √(mean(x²) + eps) · weight.</summary>
    public static double[] RMSNorm(double[] x, int rows, int d, double[] w, double eps)
    {
        var y = new double[rows * d];
        for (int r = 0; r < rows; r++)
        {
            double ms = 0;
            for (int i = 0; i < d; i++) ms += x[r * d + i] * x[r * d + i];
            ms /= d;
            for (int i = 0; i < d; i++) y[r * d + i] = x[r * d + i] / Math.Sqrt(ms + eps) * w[i];
        }
        return y;
    }

    /// <summary>Exact GELU: 0.5·x·(1 + erf(x/√2)).</summary>
    public static double[] Gelu(double[] x)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * NormalCdf(x[i]);
        return y;
    }

    /// <summary>Φ(x) = ½(1 + erf(x/√2)), through erfc in the negative tail so it keeps its relative accuracy.</summary>
    public static double NormalCdf(double x) => x < 0 ? 0.5 * Erfc(-x / Math.Sqrt(2)) : 1 - 0.5 * Erfc(x / Math.Sqrt(2));

    /// <summary>erfc(x) = 1 − erf(x), to full relative precision for large x.</summary>
    public static double Erfc(double x)
    {
        if (x < 2.5) return 1 - Erf(x);
        double f = x;
        for (int k = 200; k >= 1; k--) f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>erf to about 1e-15: Taylor series near zero, a continued fraction for erfc further out.</summary>
    public static double Erf(double x)
    {
        if (x < 0) return -Erf(-x);
        if (x < 2.5)
        {
            double sum = 0, term = x;
            for (int n = 0; n < 100; n++)
            {
                sum += term / (2 * n + 1);
                term *= -x * x / (n + 1);
                if (Math.Abs(term) < 1e-18) break;
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail.
        return 1 - Erfc(x);
    }

    public static double[] Add(double[] a, double[] b)
    {
        var y = new double[a.Length];
        for (int i = 0; i < a.Length; i++) y[i] = a[i] + b[i];
        return y;
    }

    /// <summary>nn.Embedding: row ids[i] of the table.</summary>
    public static double[] Embedding(int[] ids, double[] table, int dim)
    {
        var y = new double[ids.Length * dim];
        for (int i = 0; i < ids.Length; i++) Array.Copy(table, ids[i] * dim, y, i * dim, dim);
        return y;
    }

    /// <summary>nn.Dropout in train mode with the runtime's documented mask rule: keep when u ≥ p, scale by 1/(1−p).</summary>
    public static double[] Dropout(double[] x, double p, ref Rng rng)
    {
        var y = new double[x.Length];
        float scale = 1f / (1f - (float)p);
        for (int i = 0; i < x.Length; i++) y[i] = rng.NextFloat() >= (float)p ? x[i] * scale : 0;
        return y;
    }

    /// <summary>F.cross_entropy: mean over rows of −log_softmax(logits)[target].</summary>
    public static double CrossEntropy(double[] logits, int[] targets, int rows, int classes)
    {
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[r * classes + c]);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(logits[r * classes + c] - max);
            total += -(logits[r * classes + targets[r]] - max - Math.Log(sum));
        }
        return total / rows;
    }
}
