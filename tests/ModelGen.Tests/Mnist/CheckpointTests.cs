using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelGen.IO;
using ModelGen.Samples.Mnist;

namespace ModelGen.Tests.Mnist;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string File(string name) => Path.Combine(_temp.Path, name);

    private static string[] ParameterNames(IModel model) => model.ParameterTable.Select(p => p.Name).ToArray();

    private static void FillOptimizerState(IModel model, int seed)
    {
        var rng = new Rng((ulong)seed);
        Span<float> state = model.OptimizerState;
        for (int i = 0; i < state.Length; i++) state[i] = rng.NextFloat();
    }

    private static TrainingState State(int epoch = 2) => new()
    {
        Seed = 7,
        Dataset = "mnist",
        Epoch = epoch,
        Step = 1876,
        ShuffleRandom = new Rng(99),
        Settings = new Dictionary<string, string> { ["batch"] = "64", ["lr_schedule"] = "cosine" },
    };

    // The tensors of a saved file, to rewrite with one thing wrong.
    private static List<SafeTensor> Tensors(SafeTensorsFile file)
        => file.Names.Select(name => new SafeTensor(name, file.GetShape(name).ToArray(), file.Get(name))).ToList();

    private static Dictionary<string, string> Metadata(SafeTensorsFile file) => file.Metadata.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void WeightsFileHoldsExactlyTheStateDictAndRoundTrips()
    {
        var saved = new MnistClassifier(seed: 1);
        string path = File("model.safetensors");
        Checkpoint.SaveWeights(path, saved, new Dictionary<string, string> { ["dataset"] = "mnist" });

        var file = SafeTensors.Load(path);
        Assert.Equal(ParameterNames(saved).Order(), file.Names.Order());
        foreach (var info in saved.ParameterTable) Assert.Equal(info.Shape, file.GetShape(info.Name));
        Assert.Equal("weights", file.Metadata[Checkpoint.KindKey]);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("mnist", file.Metadata["dataset"]);

        var loaded = new MnistClassifier(seed: 2);
        Assert.False(saved.Parameters.SequenceEqual(loaded.Parameters));
        Checkpoint.LoadWeights(path, loaded);
        Assert.True(saved.Parameters.SequenceEqual(loaded.Parameters));
    }

    [Fact]
    public void AWeightStoredTransposedIsSavedAndLoadedInPyTorchsLayout()
    {
        var model = new MnistClassifier(seed: 1);
        FillOptimizerState(model, 3);
        var first = model.ParameterTable[0];
        Assert.True(first.StoredTransposed);
        Span<float> parameters = model.Parameters, state = model.OptimizerState;
        // The arena holds (784, 256): pixel c's weight for output o at c·256 + o; PyTorch's (256, 784) has it at o·784 + c.
        string weights = File("model.safetensors"), checkpoint = File("checkpoint.safetensors");
        Checkpoint.SaveWeights(weights, model);
        Checkpoint.Save(checkpoint, model, new AdamW(), State());
        float[] saved = SafeTensors.Load(weights).Get("body.layers.0.weight");
        float[] moment = SafeTensors.Load(checkpoint).Get(Checkpoint.OptimizerTensorName("exp_avg_sq", "body.layers.0.weight"));
        foreach (var (o, c) in new[] { (0, 0), (0, 783), (255, 0), (17, 406), (255, 783) })
        {
            Assert.Equal(parameters[first.Offset + c * 256 + o], saved[o * 784 + c]);
            Assert.Equal(state[model.Parameters.Length + first.Offset + c * 256 + o], moment[o * 784 + c]);
        }
        Assert.Equal(saved, model.Body.Linears[0].Weight.ToArray());

        var loaded = new MnistClassifier(seed: 2);
        Checkpoint.Load(checkpoint, loaded, new AdamW());
        Assert.True(model.Parameters.SequenceEqual(loaded.Parameters));
        Assert.True(model.OptimizerState.SequenceEqual(loaded.OptimizerState));
    }

    [Fact]
    public void CheckpointRestoresWeightsOptimizerStateStepCountRandomAndPosition()
    {
        var model = new MnistClassifier(seed: 1);
        FillOptimizerState(model, 5);
        var random = model.Random;
        random.NextUInt64();
        model.Random = random;
        var optimizer = new AdamW { StepCount = 1876 };
        string path = File("checkpoint.safetensors");
        Checkpoint.Save(path, model, optimizer, State());

        var file = SafeTensors.Load(path);
        string[] names = ParameterNames(model);
        string[] expected = names.Concat(names.Select(n => "optimizer.exp_avg." + n)).Concat(names.Select(n => "optimizer.exp_avg_sq." + n)).ToArray();
        Assert.Equal(expected.Order(), file.Names.Order());
        Assert.Equal([10, 256], file.GetShape("optimizer.exp_avg_sq.head.fc.weight"));
        Assert.Equal(model.OptimizerState.Slice(MnistClassifier.ParameterCount + 333_568, 2560).ToArray(), file.Get("optimizer.exp_avg_sq.head.fc.weight"));
        var metadata = file.Metadata;
        Assert.Equal("checkpoint", metadata[Checkpoint.KindKey]);
        Assert.Equal("1", metadata[Checkpoint.FormatVersionKey]);
        Assert.Equal("AdamW", metadata["optimizer"]);
        Assert.Equal("0.001", metadata["optimizer.lr"]);
        Assert.Equal("0.9", metadata["optimizer.beta1"]);
        Assert.Equal("0.999", metadata["optimizer.beta2"]);
        Assert.Equal("1E-08", metadata["optimizer.eps"]);
        Assert.Equal("0.01", metadata["optimizer.weight_decay"]);
        Assert.Equal("1876", metadata["optimizer.step"]);
        Assert.Equal("2", metadata["epoch"]);
        Assert.Equal("1876", metadata["step"]);
        Assert.Equal("7", metadata["seed"]);
        Assert.Equal("mnist", metadata["dataset"]);
        Assert.Equal(model.Random.S0.ToString(CultureInfo.InvariantCulture), metadata["model_rng.s0"]);
        Assert.Equal(model.Random.S3.ToString(CultureInfo.InvariantCulture), metadata["model_rng.s3"]);
        Assert.Equal(new Rng(99).S2.ToString(CultureInfo.InvariantCulture), metadata["shuffle_rng.s2"]);
        Assert.Equal("cosine", metadata["train.lr_schedule"]);

        var restored = new MnistClassifier(seed: 2);
        var restoredOptimizer = new AdamW();
        TrainingState state = Checkpoint.Load(path, restored, restoredOptimizer);
        Assert.True(model.Parameters.SequenceEqual(restored.Parameters));
        Assert.True(model.OptimizerState.SequenceEqual(restored.OptimizerState));
        Assert.Equal(1876, restoredOptimizer.StepCount);
        Assert.Equal(model.Random, restored.Random);
        Assert.Equal(7, state.Seed);
        Assert.Equal("mnist", state.Dataset);
        Assert.Equal(2, state.Epoch);
        Assert.Equal(1876, state.Step);
        Assert.Equal(new Rng(99), state.ShuffleRandom);
        Assert.Equal(State().Settings.OrderBy(p => p.Key), state.Settings.OrderBy(p => p.Key));

        // A checkpoint is also a weights file.
        var weightsOnly = new MnistClassifier(seed: 3);
        Checkpoint.LoadWeights(path, weightsOnly);
        Assert.True(model.Parameters.SequenceEqual(weightsOnly.Parameters));
    }

    [Fact]
    public void SgdCheckpointKeepsOneMomentumBufferPerParameter()
    {
        var model = new MnistClassifier(seed: 1);
        FillOptimizerState(model, 6);
        string path = File("sgd.safetensors");
        Checkpoint.Save(path, model, new Sgd(learningRate: 0.1f, momentum: 0.9f) { StepCount = 3 }, State());
        var file = SafeTensors.Load(path);
        Assert.Equal(2 * MnistClassifier.ParameterCount, file.Names.Sum(n => file.GetShape(n).Aggregate(1, (a, b) => a * b)));
        Assert.Contains("optimizer.momentum_buffer.body.layers.0.weight", file.Names);
        Assert.Equal("Sgd", file.Metadata["optimizer"]);
        Assert.Equal("0.9", file.Metadata["optimizer.momentum"]);

        var restored = new MnistClassifier(seed: 2);
        var optimizer = new Sgd(learningRate: 0.1f, momentum: 0.9f);
        Checkpoint.Load(path, restored, optimizer);
        Assert.Equal(3, optimizer.StepCount);
        Assert.True(model.OptimizerState[..MnistClassifier.ParameterCount].SequenceEqual(restored.OptimizerState[..MnistClassifier.ParameterCount]));

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new MnistClassifier(), new AdamW()));
        Assert.Contains("optimizer Sgd; it cannot resume into AdamW", error.Message);
    }

    [Fact]
    public void AMissingTensorIsNamedAndTheModelIsLeftAlone()
    {
        var model = new MnistClassifier(seed: 1);
        string good = File("good.safetensors");
        Checkpoint.SaveWeights(good, model);
        var tensors = Tensors(SafeTensors.Load(good)).Where(t => t.Name != "head.fc.bias").ToList();
        string bad = File("bad.safetensors");
        SafeTensors.Save(bad, tensors, Metadata(SafeTensors.Load(good)));

        var target = new MnistClassifier(seed: 2);
        float[] before = target.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(bad, target));
        Assert.Contains(bad, error.Message);
        Assert.Contains("has no tensor 'head.fc.bias' (expected shape (10))", error.Message);
        Assert.True(before.AsSpan().SequenceEqual(target.Parameters));
    }

    [Fact]
    public void AWrongShapeIsNamedWithBothShapes()
    {
        var model = new MnistClassifier(seed: 1);
        string good = File("good.safetensors");
        Checkpoint.SaveWeights(good, model);
        var tensors = Tensors(SafeTensors.Load(good))
            .Select(t => t.Name == "body.layers.3.weight" ? t with { Shape = [128, 512] } : t).ToList();
        string bad = File("bad.safetensors");
        SafeTensors.Save(bad, tensors, Metadata(SafeTensors.Load(good)));

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(bad, new MnistClassifier()));
        Assert.Contains("tensor 'body.layers.3.weight' of shape (128, 512), but the model expects (256, 256)", error.Message);
    }

    [Fact]
    public void ExtraTensorsInAWeightsFileAreErrors()
    {
        var model = new MnistClassifier(seed: 1);
        string good = File("good.safetensors");
        Checkpoint.SaveWeights(good, model);
        var file = SafeTensors.Load(good);

        string extra = File("extra.safetensors");
        SafeTensors.Save(extra, [.. Tensors(file), new SafeTensor("head.proj.weight", [2], [1f, 2f])], Metadata(file));
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(extra, new MnistClassifier()));
        Assert.Contains("holds tensor 'head.proj.weight', which the model does not have", error.Message);
        Assert.Contains("body.layers.0.weight", error.Message); // the valid names are listed

        string optimizerInWeights = File("optimizer-in-weights.safetensors");
        SafeTensors.Save(optimizerInWeights, [.. Tensors(file), new SafeTensor("optimizer.exp_avg.head.fc.bias", [10], new float[10])], Metadata(file));
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(optimizerInWeights, new MnistClassifier()));
        Assert.Contains("optimizer tensors belong in a checkpoint", error.Message);
    }

    [Fact]
    public void ACheckpointMissingOptimizerStateFailsBeforeChangingAnything()
    {
        var model = new MnistClassifier(seed: 1);
        FillOptimizerState(model, 5);
        string good = File("checkpoint.safetensors");
        Checkpoint.Save(good, model, new AdamW(), State());
        var file = SafeTensors.Load(good);
        string bad = File("bad.safetensors");
        SafeTensors.Save(bad, Tensors(file).Where(t => t.Name != "optimizer.exp_avg_sq.body.layers.3.bias").ToList(), Metadata(file));

        var target = new MnistClassifier(seed: 2);
        float[] before = target.Parameters.ToArray();
        var optimizer = new AdamW { StepCount = 5 };
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(bad, target, optimizer));
        Assert.Contains("has no tensor 'optimizer.exp_avg_sq.body.layers.3.bias' (expected shape (256))", error.Message);
        Assert.True(before.AsSpan().SequenceEqual(target.Parameters));
        Assert.Equal(5, optimizer.StepCount);
    }

    [Fact]
    public void ResumingFromAWeightsFileOrABrokenHeaderIsExplained()
    {
        var model = new MnistClassifier(seed: 1);
        string weights = File("model.safetensors");
        Checkpoint.SaveWeights(weights, model);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(weights, new MnistClassifier(), new AdamW()));
        Assert.Contains("is not a training checkpoint (its metadata 'modelgen.kind' is 'weights')", error.Message);

        string checkpoint = File("checkpoint.safetensors");
        Checkpoint.Save(checkpoint, model, new AdamW(), State());
        var file = SafeTensors.Load(checkpoint);
        var metadata = Metadata(file);
        metadata["model_rng.s1"] = "-4";
        string bad = File("bad.safetensors");
        SafeTensors.Save(bad, Tensors(file), metadata);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(bad, new MnistClassifier(), new AdamW()));
        Assert.Contains("metadata 'model_rng.s1' = '-4', which is not an unsigned 64-bit integer", error.Message);

        metadata = Metadata(file);
        metadata.Remove("epoch");
        SafeTensors.Save(bad, Tensors(file), metadata);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(bad, new MnistClassifier(), new AdamW()));
        Assert.Contains("has no metadata 'epoch'", error.Message);
    }
}
