using System;
using System.Linq;
using ModelGen.Tests.Kernels;

namespace ModelGen.Tests.Optim;

/// <summary>
/// AdamW and SGD against two references over several steps: a float transcription of PyTorch's single-tensor code,
/// operation for operation (which the optimizers must match bit for bit, at every width and every length), and the
/// textbook formulas in double with the hyper-parameters as decimals (which they must match to float accuracy).
/// </summary>
public sealed class OptimizerTests
{
    private static readonly int[] s_lengths = [0, 1, 3, 15, 16, 17, 31, 33, 64, 100, 257];

    // ---- AdamW ----

    /// <summary>torch.optim.AdamW's _single_tensor_adam with decoupled weight decay, in float as PyTorch computes it.</summary>
    private static void TorchAdamW(float[] p, float[] g, float[] m, float[] v, long t, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        double biasCorrection1 = 1 - Math.Pow(beta1, t), biasCorrection2 = 1 - Math.Pow(beta2, t);
        float stepSize = (float)(lr / biasCorrection1), correction2Sqrt = (float)Math.Sqrt(biasCorrection2);
        float weight = (float)(1 - beta1);
        for (int i = 0; i < p.Length; i++)
        {
            if (weightDecay != 0) p[i] *= (float)(1 - lr * weightDecay);                          // param.mul_(1 - lr * wd)
            m[i] = weight < 0.5f                                                                 // exp_avg.lerp_(grad, 1 - beta1)
                ? MathF.FusedMultiplyAdd(weight, g[i] - m[i], m[i])
                : MathF.FusedMultiplyAdd(weight - 1f, g[i] - m[i], g[i]);
            v[i] = v[i] * (float)beta2 + (float)(1 - beta2) * g[i] * g[i];                    // mul_(beta2).addcmul_(g, g, 1 - beta2)
            float denominator = MathF.Sqrt(v[i]) / correction2Sqrt + (float)eps;               // (sqrt(v) / bc2_sqrt).add_(eps)
            p[i] += -stepSize * m[i] / denominator;                                             // addcdiv_(m, denom, -step_size)
        }
    }

    public static TheoryData<int, float, float, float, float, float> AdamWCases() => new()
    {
        { 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f },   // PyTorch's defaults, widest width
        { 256, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f },
        { 128, 3e-3f, 0.8f, 0.99f, 1e-6f, 0f },     // no weight decay
        { 1, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f },
        { 0, 1e-2f, 0.3f, 0.5f, 1e-8f, 0.05f },     // β1 < 0.5: lerp's other branch
    };

    [Theory, MemberData(nameof(AdamWCases))]
    public void AdamWMatchesPyTorchBitForBitAndTheTextbookInDouble(int width, float lr, float beta1, float beta2, float eps, float weightDecay)
        => Reference.AtWidth(width, () =>
    {
        foreach (int n in s_lengths)
        {
            var adamW = new AdamW(learningRate: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay);
            float[] p = Reference.Normal(n, 1), state = new float[2 * n];
            float[] tp = (float[])p.Clone(), tm = new float[n], tv = new float[n];
            double[] dp = Reference.ToDouble(p), dm = new double[n], dv = new double[n];
            // Python's hyper-parameters are the decimals written: 0.999, not the float 0.99900001287…
            double dlr = double.Parse(lr.ToString("R")), db1 = double.Parse(beta1.ToString("R")), db2 = double.Parse(beta2.ToString("R"));
            double deps = double.Parse(eps.ToString("R")), dwd = double.Parse(weightDecay.ToString("R"));
            for (int t = 1; t <= 6; t++)
            {
                float[] g = Reference.Normal(n, (ulong)(100 + t), t == 3 ? 1e-3f : 1f);
                adamW.Step(p, g, state);
                Assert.Equal(t, adamW.StepCount);
                TorchAdamW(tp, g, tm, tv, t, dlr, db1, db2, deps, dwd);
                Assert.Equal(tp, p);
                Assert.Equal(tm, state.AsSpan(0, n).ToArray());   // slot 0: exp_avg
                Assert.Equal(tv, state.AsSpan(n, n).ToArray());   // slot 1: exp_avg_sq

                for (int i = 0; i < n; i++)
                {
                    dp[i] -= dlr * dwd * dp[i];
                    dm[i] = db1 * dm[i] + (1 - db1) * g[i];
                    dv[i] = db2 * dv[i] + (1 - db2) * g[i] * (double)g[i];
                    double mHat = dm[i] / (1 - Math.Pow(db1, t)), vHat = dv[i] / (1 - Math.Pow(db2, t));
                    dp[i] -= dlr * mHat / (Math.Sqrt(vHat) + deps);
                    // Each step moves θ by at most about lr; float error is a few ulps of θ and of that step.
                    Reference.Near(dp[i], p[i], 1e-6 * (Math.Abs(dp[i]) + t * dlr), $"θ[{i}] at step {t} of {n}");
                }
            }
        }
    });

    // Subnormal first moments (a weight whose input is rarely nonzero) next to tiny, zero, NaN and infinite
    // parameters, zero and tiny denominators (v = 0 with eps = 0) and tiny gradients: bit for bit PyTorch's arithmetic.
    [Theory]
    [InlineData(0, 1e-8f)]
    [InlineData(0, 0f)]
    [InlineData(256, 1e-8f)]
    [InlineData(128, 0f)]
    [InlineData(1, 1e-8f)]
    public void AdamWWithSubnormalMomentsMatchesPyTorchBitForBit(int width, float eps) => Reference.AtWidth(width, () =>
    {
        foreach (int n in new[] { 16, 17, 64, 257 })
        {
            float[] p = Reference.Normal(n, 3), m = new float[n], v = Reference.Uniform(n, 4, 1e-8f, 1e-6f);
            for (int i = 0; i < n; i++)
            {
                m[i] = (i % 3 == 0 ? -1e-39f : 3e-39f) * (1 + i % 4);
                if (i % 4 == 0) v[i] = 0;
                if (i % 5 == 0) p[i] = 1e-30f;
                if (i % 7 == 0) p[i] = i % 2 == 0 ? 0f : -0f;
                if (i % 11 == 0) p[i] = 2e-39f;
                if (i % 13 == 0) p[i] = float.NaN;
                if (i % 17 == 0) p[i] = float.PositiveInfinity;
                if (i % 19 == 0) m[i] = 2e-3f; // a normal moment among the subnormal ones
            }
            var adamW = new AdamW(learningRate: 1e-3f, eps: eps);
            float[] state = [.. m, .. v], tp = (float[])p.Clone(), tm = (float[])m.Clone(), tv = (float[])v.Clone();
            for (int t = 1; t <= 4; t++)
            {
                float[] g = new float[n];
                for (int i = 0; i < n; i += 9) g[i] = i % 2 == 0 ? 1e-40f : -2e-3f;
                adamW.Step(p, g, state);
                TorchAdamW(tp, g, tm, tv, t, 1e-3, 0.9, 0.999, double.Parse(eps.ToString("R")), 0.01);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(tp[i]) == BitConverter.SingleToInt32Bits(p[i]),
                        $"θ[{i}] of {n} at step {t}, width {width}: {p[i]:R}, PyTorch's arithmetic gives {tp[i]:R}");
                    Assert.Equal(BitConverter.SingleToInt32Bits(tm[i]), BitConverter.SingleToInt32Bits(state[i]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(tv[i]), BitConverter.SingleToInt32Bits(state[n + i]));
                }
            }
        }
    });

    // AdamW computes a subnormal first moment with a zero gradient from its bits (no subnormal arithmetic) when the
    // parameter is large enough to absorb the update; every other lane beside it, and every vector where that does
    // not hold, takes the plain path. Many such vectors, with a few of the exceptions scattered among them: a nonzero
    // or subnormal gradient, a zero, tiny, subnormal or NaN parameter, the extreme subnormals, both forms of lerp,
    // (float)(1 − β1) = 1 (an exact zero moment, signed by the gradient), eps = 0 and lr = 0.
    [Theory]
    [InlineData(0, 0.9f, 1e-8f, 1e-3f)]
    [InlineData(0, 0.3f, 1e-8f, 1e-3f)]
    [InlineData(0, 0.9f, 0f, 1e-3f)]
    [InlineData(0, 0.9f, 1e-8f, 0f)]
    [InlineData(0, 0f, 1e-8f, 1e-3f)]
    [InlineData(0, 1e-9f, 1e-8f, 1e-3f)]
    [InlineData(256, 0.9f, 1e-8f, 1e-3f)]
    [InlineData(128, 0.3f, 1e-8f, 1e-3f)]
    [InlineData(1, 0.9f, 1e-8f, 1e-3f)]
    public void AdamWDecaysSubnormalMomentsBitForBit(int width, float beta1, float eps, float lr) => Reference.AtWidth(width, () =>
    {
        const int n = 4099;
        var random = new Random(7);
        float[] p = Reference.Normal(n, 5, 0.05f), m = new float[n], v = Reference.Uniform(n, 6, 1e-10f, 1e-6f);
        bool[] rare = new bool[n];
        for (int i = 0; i < n; i++)
        {
            rare[i] = random.Next(3) > 0;
            m[i] = rare[i] ? BitConverter.Int32BitsToSingle(random.Next(1, 0x80_0000) | (random.Next(2) << 31)) : (float)(random.NextDouble() - 0.5) * 1e-3f;
            if (random.Next(400) == 0) p[i] = random.Next(4) switch { 0 => 0f, 1 => -1e-33f, 2 => 3e-39f, _ => float.NaN };
            if (random.Next(400) == 0) v[i] = 0;
        }
        for (int i = 5; i < n; i += 97)
        {
            // Parameters near the bound, with the largest updates (v = 0, so denom = eps, and a large moment).
            rare[i] = true;
            p[i] = MathF.ScaleB(i % 2 == 0 ? 1.37f : -1.37f, -60 - i % 64);
            m[i] = BitConverter.Int32BitsToSingle(0x7F_0000 + i);
            v[i] = 0;
        }
        m[1] = BitConverter.Int32BitsToSingle(1);
        m[2] = BitConverter.Int32BitsToSingle(unchecked((int)0x807F_FFFF));
        var adamW = new AdamW(learningRate: lr, beta1: beta1, eps: eps);
        float[] state = [.. m, .. v], tp = (float[])p.Clone(), tm = (float[])m.Clone(), tv = (float[])v.Clone();
        int subnormalMoments = 0;
        for (int t = 1; t <= 5; t++)
        {
            float[] g = new float[n];
            for (int i = 0; i < n; i++)
            {
                int pick = random.Next(300);
                g[i] = !rare[i] ? (float)(random.NextDouble() - 0.5) * 1e-2f
                    : pick == 0 ? 1e-40f : pick == 1 ? -2e-3f : pick < 150 ? -0f : 0f;
                if (float.IsSubnormal(tm[i])) subnormalMoments++;
            }
            adamW.Step(p, g, state);
            TorchAdamW(tp, g, tm, tv, t, double.Parse(lr.ToString("R")), double.Parse(beta1.ToString("R")), 0.999, double.Parse(eps.ToString("R")), 0.01);
            for (int i = 0; i < n; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(tm[i]) == BitConverter.SingleToInt32Bits(state[i]),
                    $"m[{i}] at step {t}, width {width}: {state[i]:R}, PyTorch's arithmetic gives {tm[i]:R}");
                Assert.True(BitConverter.SingleToInt32Bits(tp[i]) == BitConverter.SingleToInt32Bits(p[i]),
                    $"θ[{i}] at step {t}, width {width}: {p[i]:R}, PyTorch's arithmetic gives {tp[i]:R}");
                Assert.Equal(BitConverter.SingleToInt32Bits(tv[i]), BitConverter.SingleToInt32Bits(state[n + i]));
            }
        }
        Assert.True(subnormalMoments > n / 2, $"only {subnormalMoments} subnormal moments were stepped");
    });

    [Fact]
    public void AdamWFirstStepMovesEachWeightByAboutTheLearningRate()
    {
        var adamW = new AdamW();
        float[] p = [1f, -2f, 0.5f], g = [0.3f, -7f, 1e-3f], state = new float[6];
        adamW.Step(p, g, state);
        // m̂ = g and v̂ = g² after one step, so θ ← θ(1 − lr·λ) − lr·sign(g).
        Assert.Equal(1f * (1 - 1e-5f) - 1e-3f, p[0], 6);
        Assert.Equal(-2f * (1 - 1e-5f) + 1e-3f, p[1], 6);
        Assert.Equal(0.5f * (1 - 1e-5f) - 1e-3f, p[2], 6);
        Assert.Equal(new[] { "exp_avg", "exp_avg_sq" }, adamW.StateNames);
        Assert.Equal(2, adamW.StateFloatsPerParameter);
        Assert.Equal((0.9f, 0.999f, 1e-8f, 0.01f, 1e-3f), (adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay, adamW.LearningRate));
    }

    [Fact]
    public void AdamWChecksItsArguments()
    {
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(beta1: 1f)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(learningRate: -1f)).ParamName);
        Assert.Equal("state", Assert.Throws<ArgumentException>(() => new AdamW().Step(new float[4], new float[4], new float[7])).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => new AdamW().Step(new float[4], new float[3], new float[8])).ParamName);
    }

    // ---- SGD ----

    /// <summary>torch.optim.SGD's _single_tensor_sgd; PyTorch's add(…, alpha=a) is one fused multiply-add.</summary>
    private static void TorchSgd(float[] p, float[] g, float[] buffer, bool first, double lr, double momentum, double dampening, double weightDecay, bool nesterov)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float grad = g[i];
            if (weightDecay != 0) grad = MathF.FusedMultiplyAdd(p[i], (float)weightDecay, grad);
            if (momentum != 0)
            {
                buffer[i] = first ? grad : MathF.FusedMultiplyAdd(grad, (float)(1 - dampening), buffer[i] * (float)momentum);
                grad = nesterov ? MathF.FusedMultiplyAdd(buffer[i], (float)momentum, grad) : buffer[i];
            }
            p[i] = MathF.FusedMultiplyAdd(grad, (float)-lr, p[i]);
        }
    }

    public static TheoryData<int, float, float, float, float, bool> SgdCases() => new()
    {
        { 0, 0.1f, 0f, 0f, 0f, false },          // plain
        { 256, 0.1f, 0f, 0f, 1e-2f, false },     // weight decay
        { 0, 0.05f, 0.9f, 0f, 0f, false },       // momentum
        { 128, 0.05f, 0.9f, 0.1f, 1e-3f, false },// momentum with dampening
        { 1, 0.05f, 0.9f, 0f, 1e-3f, true },     // Nesterov
        { 0, 0.01f, 0.5f, 0f, 0f, true },
    };

    [Theory, MemberData(nameof(SgdCases))]
    public void SgdMatchesPyTorchBitForBitAndTheTextbookInDouble(int width, float lr, float momentum, float dampening, float weightDecay, bool nesterov)
        => Reference.AtWidth(width, () =>
    {
        foreach (int n in s_lengths)
        {
            var sgd = new Sgd(lr, momentum, dampening, weightDecay, nesterov);
            Assert.Equal(momentum != 0 ? 1 : 0, sgd.StateFloatsPerParameter);
            Assert.Equal(momentum != 0 ? new[] { "momentum_buffer" } : Array.Empty<string>(), sgd.StateNames);
            float[] p = Reference.Normal(n, 1), state = new float[sgd.StateFloatsPerParameter * n];
            float[] tp = (float[])p.Clone(), tb = new float[n];
            double[] dp = Reference.ToDouble(p), dbuf = new double[n];
            double dlr = double.Parse(lr.ToString("R")), dmu = double.Parse(momentum.ToString("R"));
            double ddamp = double.Parse(dampening.ToString("R")), dwd = double.Parse(weightDecay.ToString("R"));
            for (int t = 0; t < 5; t++)
            {
                float[] g = Reference.Normal(n, (ulong)(200 + t));
                sgd.Step(p, g, state);
                TorchSgd(tp, g, tb, t == 0, dlr, dmu, ddamp, dwd, nesterov);
                Assert.Equal(tp, p);
                if (momentum != 0) Assert.Equal(tb, state);

                for (int i = 0; i < n; i++)
                {
                    double grad = g[i] + dwd * dp[i];
                    if (dmu != 0)
                    {
                        dbuf[i] = t == 0 ? grad : dmu * dbuf[i] + (1 - ddamp) * grad;
                        grad = nesterov ? grad + dmu * dbuf[i] : dbuf[i];
                    }
                    dp[i] -= dlr * grad;
                    Reference.Near(dp[i], p[i], 2e-6 * (Math.Abs(dp[i]) + 1), $"θ[{i}] at step {t} of {n}");
                }
            }
            Assert.Equal(5, sgd.StepCount);
        }
    });

    [Fact]
    public void SgdChecksItsArguments()
    {
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new Sgd(0.1f, nesterov: true)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new Sgd(0.1f, momentum: 0.9f, dampening: 0.1f, nesterov: true)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(-0.1f)).ParamName);
        Assert.Equal("state", Assert.Throws<ArgumentException>(() => new Sgd(0.1f, momentum: 0.9f).Step(new float[4], new float[4], new float[3])).ParamName);
        new Sgd(0.1f).Step(new float[4], new float[4], default); // no momentum: no state needed
    }
}
