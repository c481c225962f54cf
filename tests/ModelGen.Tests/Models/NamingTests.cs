using System;
using System.Linq;

namespace ModelGen.Tests.Models;

/// <summary>
/// A layer may be named like a member of the generated code (Tokens, Targets, Training, Input, Output) or like a
/// C# keyword (In, Out): the generated model compiles (see NamingModels.cs) and computes the same as a direct
/// evaluation of its layers.
/// </summary>
public sealed class NamingTests
{
    /// <summary>y = x Wᵀ + b for one row, in double.</summary>
    private static double[] Linear(double[] x, Linear layer)
    {
        var w = layer.Weight.ToArray(); // PyTorch's layout (the arena holds a layer on the input transposed)
        var b = layer.Bias!.Data.ToArray();
        return Enumerable.Range(0, layer.OutFeatures)
            .Select(o => b[o] + Enumerable.Range(0, layer.InFeatures).Sum(i => (double)w[o * layer.InFeatures + i] * x[i]))
            .ToArray();
    }

    [Fact]
    public void LayersNamedInputAndOutput_ForwardComputesTheLayers()
    {
        var model = new FloatModelWithGeneratedNames(seed: 3);
        model.Eval();
        float[] input = [0.5f, -1f, 2f, 1.5f, 0.25f, -0.75f];
        float[] output = new float[2 * FloatModelWithGeneratedNames.OutputSize];
        model.Forward(input, rows: 2, output);

        for (int row = 0; row < 2; row++)
        {
            double[] x = input.Skip(row * 3).Take(3).Select(v => (double)v).ToArray();
            double[] expected = Linear(Linear(x, model.Input), model.Output);
            for (int j = 0; j < 2; j++) Assert.Equal(expected[j], output[row * 2 + j], 5);
        }
    }

    [Fact]
    public void LayersNamedTokensTargetsTrainingAndOutput_ForwardComputesTheLayers()
    {
        var model = new TokenModelWithGeneratedNames(seed: 4);
        model.Eval();
        int[] tokens = [0, 4, 2, 3, 3, 1];
        float[] output = new float[2 * TokenModelWithGeneratedNames.OutputSize];
        model.Forward(tokens, rows: 2, output);

        var table = model.Tokens.Weight.Data.ToArray();
        for (int row = 0; row < 2; row++)
        {
            double[] x = tokens.Skip(row * 3).Take(3).SelectMany(id => table.Skip(id * 2).Take(2)).Select(v => (double)v).ToArray();
            double[] expected = Linear(Linear(x, model.Training), model.Output);
            for (int j = 0; j < 3; j++) Assert.Equal(expected[j], output[row * 3 + j], 5);
        }
        Assert.Equal(["tokens.weight", "training.weight", "training.bias", "output.weight", "output.bias"], model.ParameterTable.Select(p => p.Name));
    }

    [Fact]
    public void LayersNamedLikeKeywords_ForwardAndBackwardRun()
    {
        var model = new KeywordNamedLayers(seed: 6);
        model.Eval();
        float[] input = [0.25f, -0.5f, 1f, 2f, -1.5f, 0.75f];
        float[] output = new float[2 * KeywordNamedLayers.OutputSize];
        model.Forward(input, rows: 2, output);
        for (int row = 0; row < 2; row++)
        {
            double[] x = input.Skip(row * 3).Take(3).Select(v => (double)v).ToArray();
            double[] expected = Linear(Linear(x, model.In), model.Out);
            for (int j = 0; j < 2; j++) Assert.Equal(expected[j], output[row * 2 + j], 5);
        }

        model.ZeroGrad();
        model.Loss(input, [1, 0], rows: 2);
        model.Backward();
        Assert.Contains(model.In.Weight.Grad.ToArray(), g => g != 0f);
        Assert.Equal(["in.weight", "in.bias", "out.weight", "out.bias"], model.ParameterTable.Select(p => p.Name));
    }

    [Fact]
    public void LayerNamedOutput_LossAndPredictReadTheLogits()
    {
        var model = new FloatModelWithGeneratedNames(seed: 5);
        model.Eval();
        float[] input = [1f, 2f, 3f, -1f, -2f, -3f];
        float[] logits = new float[4];
        model.Forward(input, rows: 2, logits);
        int[] predictions = new int[2];
        model.Predict(input, rows: 2, predictions);
        for (int row = 0; row < 2; row++) Assert.Equal(logits[row * 2] >= logits[row * 2 + 1] ? 0 : 1, predictions[row]);

        int[] targets = [0, 1];
        double expectedLoss = Enumerable.Range(0, 2).Average(row =>
        {
            double a = logits[row * 2], b = logits[row * 2 + 1], max = Math.Max(a, b);
            return max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max)) - logits[row * 2 + targets[row]];
        });
        Assert.Equal(expectedLoss, model.Loss(input, targets, rows: 2), 5);
    }
}
