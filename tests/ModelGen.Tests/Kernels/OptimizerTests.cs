using System;
using System.Linq;

namespace ModelGen.Tests.Kernels;

/// <summary>AdamW and SGD against scalar double implementations of torch.optim's formulas, step by step.</summary>
public sealed class OptimizerTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Rng((ulong)seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextNormal()).ToArray();
    }

    [Theory]
    [InlineData(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f)]
    [InlineData(3e-2f, 0.8f, 0.99f, 1e-6f, 0.1f)]
    [InlineData(1e-3f, 0.9f, 0.999f, 1e-8f, 0f)]
    public void AdamWMatchesTorch(float lr, float beta1, float beta2, float eps, float decay)
    {
        const int n = 37; // a vector remainder too
        var p = Random(n, 1); var state = new float[2 * n];
        var rp = p.Select(v => (double)v).ToArray(); var m = new double[n]; var v2 = new double[n];
        var optimizer = new AdamW(lr, beta1, beta2, eps, decay);
        for (int t = 1; t <= 6; t++)
        {
            var g = Random(n, 10 + t);
            optimizer.Step(p, g, state);
            for (int i = 0; i < n; i++)
            {
                rp[i] *= 1 - lr * decay;
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v2[i] = beta2 * v2[i] + (1 - beta2) * g[i] * g[i];
                double mhat = m[i] / (1 - Math.Pow(beta1, t)), vhat = v2[i] / (1 - Math.Pow(beta2, t));
                rp[i] -= lr * mhat / (Math.Sqrt(vhat) + eps);
            }
            Assert.Equal(t, optimizer.StepCount);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(p[i] - rp[i]) <= 1e-6 + 1e-5 * Math.Abs(rp[i]), $"step {t}, θ[{i}]: {p[i]} vs {rp[i]}");
                Assert.True(Math.Abs(state[i] - m[i]) <= 1e-6, "exp_avg");
                Assert.True(Math.Abs(state[n + i] - v2[i]) <= 1e-6, "exp_avg_sq");
            }
        }
    }

    [Fact]
    public void AdamWDefaultsAreTorchDefaults()
    {
        var adamw = new AdamW();
        Assert.Equal(1e-3f, adamw.LearningRate);
        Assert.Equal(0.9f, adamw.Beta1);
        Assert.Equal(0.999f, adamw.Beta2);
        Assert.Equal(1e-8f, adamw.Epsilon);
        Assert.Equal(0.01f, adamw.WeightDecay);
        Assert.Equal(["exp_avg", "exp_avg_sq"], adamw.StateNames);
    }

    [Theory]
    [InlineData(0f, 0f, 0f, false)]
    [InlineData(0.9f, 0f, 0f, false)]
    [InlineData(0.9f, 0.1f, 1e-2f, false)]
    [InlineData(0.9f, 0f, 1e-2f, true)]
    public void SgdMatchesTorch(float momentum, float dampening, float decay, bool nesterov)
    {
        const int n = 21;
        const float lr = 0.05f;
        var p = Random(n, 2); var state = new float[n];
        var rp = p.Select(v => (double)v).ToArray(); var buf = new double[n];
        var optimizer = new Sgd(lr, momentum, dampening, decay, nesterov);
        Assert.Equal(momentum != 0 ? 1 : 0, optimizer.StateFloatsPerParameter);
        for (int t = 1; t <= 5; t++)
        {
            var g = Random(n, 20 + t);
            optimizer.Step(p, g, state);
            for (int i = 0; i < n; i++)
            {
                double d = g[i] + decay * rp[i];
                if (momentum != 0)
                {
                    buf[i] = t == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                rp[i] -= lr * d;
            }
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(p[i] - rp[i]) <= 1e-6 + 1e-5 * Math.Abs(rp[i]), $"step {t}, θ[{i}]");
        }
    }

    [Fact]
    public void StepsAllocateNothing()
    {
        var p = new float[335_114]; var g = Random(p.Length, 3); var state = new float[2 * p.Length];
        var adamw = new AdamW(); var sgd = new Sgd(0.1f, momentum: 0.9f);
        adamw.Step(p, g, state); sgd.Step(p, g, state);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) { adamw.Step(p, g, state); sgd.Step(p, g, state); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void InitialisersHavePyTorchBounds()
    {
        var rng = new Rng(9);
        var w = new float[100_000];
        Init.KaimingUniform(w, 784, ref rng);
        Assert.All(w, v => Assert.InRange(v, -1f / 28f, 1f / 28f));
        Assert.InRange(w.Average(), -1e-3, 1e-3);
        Init.XavierUniform(w, 100, 50, ref rng);
        float bound = MathF.Sqrt(6f / 150f);
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.99f * bound);
        Init.Normal(w, ref rng);
        double mean = w.Average(), variance = w.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 0.97, 1.03);
    }
}
