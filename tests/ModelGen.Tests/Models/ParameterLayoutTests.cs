using System;
using System.Linq;

namespace ModelGen.Tests.Models;

/// <summary>A tensor stored transposed reads and writes in PyTorch's layout through <see cref="ParameterInfo"/>, and bad uses say what is wrong.</summary>
public sealed class ParameterLayoutTests
{
    [Fact]
    public void CopiesMoveATransposedTensorInPyTorchsLayout()
    {
        var info = new ParameterInfo("fc.weight", offset: 2, 2, 3) { StoredTransposed = true };
        float[] arena = [9, 9, 0, 0, 0, 0, 0, 0, 9];
        info.CopyFrom([1, 2, 3, 4, 5, 6], arena); // PyTorch's (2, 3): rows [1 2 3] and [4 5 6]
        Assert.Equal([9f, 9, 1, 4, 2, 5, 3, 6, 9], arena); // stored as (3, 2)
        Assert.Equal([1f, 2, 3, 4, 5, 6], info.ToArray(arena));
        Assert.Equal([3, 2], info.StorageShape);
        Assert.Equal([2, 3], info.Shape);
        Assert.Equal("fc.weight (2, 3), stored as (3, 2)", info.ToString());

        var plain = new ParameterInfo("fc.bias", offset: 0, 2);
        Assert.False(plain.StoredTransposed);
        Assert.Equal([9f, 9], plain.ToArray(arena));
    }

    [Fact]
    public void InitTransposeKeepsTheDrawnValuesInTheTransposedLayout()
    {
        float[] values = [1, 2, 3, 4, 5, 6];
        Init.Transpose(values, rows: 2, columns: 3);
        Assert.Equal([1f, 4, 2, 5, 3, 6], values);
        Assert.Contains("(4, 2)", Assert.Throws<ArgumentException>(() => Init.Transpose(values, rows: 4, columns: 2)).Message);
    }

    [Fact]
    public void BadUsesAreErrorsThatSayWhatIsWrong()
    {
        var error = Assert.Throws<ArgumentException>(() => new ParameterInfo("norm.weight", offset: 0, 8) { StoredTransposed = true });
        Assert.Contains("norm.weight", error.Message);
        Assert.Contains("2-D", error.Message);
        var info = new ParameterInfo("fc.weight", offset: 0, 2, 3) { StoredTransposed = true };
        Assert.Contains("6 values", Assert.Throws<ArgumentException>(() => info.CopyFrom(new float[5], new float[6])).Message);
        Assert.Contains("6 values", Assert.Throws<ArgumentException>(() => info.CopyTo(new float[6], new float[4])).Message);
    }

    [Fact]
    public void AGeneratedModelsFirstLayerWeightIsTheTransposeOfPyTorchs()
    {
        // (GradientTests checks the whole model against a reference that takes every weight in PyTorch's layout.)
        var model = new MnistClassifier(seed: 5);
        var weight = model.Body.Linears[0].Weight;
        float[] pyTorch = weight.ToArray();
        Assert.Equal(256 * 784, pyTorch.Length);
        foreach (var (o, c) in new[] { (0, 1), (1, 0), (200, 300), (255, 783) })
            Assert.Equal(weight.Data[c * 256 + o], pyTorch[o * 784 + c]);
        Assert.Equal(model.Body.Linears[1].Weight.Data.ToArray(), model.Body.Linears[1].Weight.ToArray()); // a hidden layer's is as PyTorch's
    }
}
