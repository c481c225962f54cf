using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace ModelGen.IO;

/// <summary>
/// Where a training run stands, saved in a checkpoint beside the weights and the optimizer state. The model's own
/// <see cref="IModel.Random"/> and the optimizer's <see cref="Optimizer.StepCount"/> are saved from the model and the
/// optimizer themselves; this record holds the rest.
/// </summary>
public sealed record TrainingState
{
    /// <summary>The run's seed (model initialisation, Dropout masks and shuffling all derive from it).</summary>
    public required int Seed { get; init; }

    /// <summary>The name of the data set the run trains on, for example <c>mnist</c>.</summary>
    public required string Dataset { get; init; }

    /// <summary>Epochs completed.</summary>
    public required int Epoch { get; init; }

    /// <summary>Optimizer steps completed in the run, over all epochs.</summary>
    public required long Step { get; init; }

    /// <summary>The data-shuffling generator's position: the one that shuffles the next epoch.</summary>
    public required Rng ShuffleRandom { get; init; }

    /// <summary>
    /// The trainer's own settings (batch size, schedule, …), saved as <c>__metadata__</c> strings under
    /// <c>train.&lt;key&gt;</c>. Keys hold letters, digits, <c>_</c> and <c>.</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Saves and loads a model's weights as safetensors with PyTorch <c>state_dict</c> names, in two kinds of file:
/// <list type="bullet">
/// <item><description><b>Weights</b> (<c>model.safetensors</c>): exactly the model's parameters, so
/// <c>model.load_state_dict(safetensors.torch.load_file(path), strict=True)</c> accepts it.</description></item>
/// <item><description><b>Checkpoint</b> (<c>checkpoint.safetensors</c>): the weights, the optimizer state as
/// <c>optimizer.&lt;state&gt;.&lt;parameter&gt;</c> tensors (for example <c>optimizer.exp_avg.head.fc.weight</c>, shaped
/// like the parameter), and <c>__metadata__</c> strings with the optimizer's type, hyper-parameters and step count,
/// the run's position (<see cref="TrainingState"/>) and the model's random generator, so a run resumes exactly.</description></item>
/// </list>
/// Loading checks every expected tensor's presence and shape before it changes anything, so a file that does not
/// fit leaves the model as it was; errors are <see cref="InvalidDataException"/>s naming the file and the tensor.
/// Saving is atomic (a temporary file renamed over the target): a crash never leaves a half-written file.
/// </summary>
public static class Checkpoint
{
    /// <summary>The version of the metadata layout written under <see cref="FormatVersionKey"/>.</summary>
    public const string FormatVersion = "1";

    /// <summary>The usual file name of a weights file.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>The usual file name of a training checkpoint.</summary>
    public const string CheckpointFileName = "checkpoint.safetensors";

    /// <summary>The prefix of every optimizer-state tensor in a checkpoint.</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>Metadata key of the file kind: <see cref="WeightsKind"/> or <see cref="CheckpointKind"/>.</summary>
    public const string KindKey = "modelgen.kind";

    /// <summary>Metadata key of <see cref="FormatVersion"/>.</summary>
    public const string FormatVersionKey = "modelgen.format_version";

    /// <summary>The <see cref="KindKey"/> value of a weights file.</summary>
    public const string WeightsKind = "weights";

    /// <summary>The <see cref="KindKey"/> value of a training checkpoint.</summary>
    public const string CheckpointKind = "checkpoint";

    private const string OptimizerKey = "optimizer";
    private const string OptimizerStepKey = "optimizer.step";
    private const string EpochKey = "epoch";
    private const string StepKey = "step";
    private const string SeedKey = "seed";
    private const string DatasetKey = "dataset";
    private const string ModelRngKey = "model_rng";
    private const string ShuffleRngKey = "shuffle_rng";
    private const string SettingsPrefix = "train.";

    /// <summary>The name of the tensor that holds state <paramref name="stateName"/> of parameter <paramref name="parameterName"/>.</summary>
    public static string OptimizerTensorName(string stateName, string parameterName) => OptimizerPrefix + stateName + "." + parameterName;

    /// <summary>
    /// Writes the model's parameters to <paramref name="path"/> under their PyTorch names, nothing else, plus
    /// <paramref name="metadata"/> (for example the data set) beside the keys this class writes.
    /// </summary>
    public static void SaveWeights(string path, IModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata) header[key] = value;
        }
        header["format"] = "pt"; // what safetensors.torch writes; Hugging Face loaders look for it
        header[FormatVersionKey] = FormatVersion;
        header[KindKey] = WeightsKind;
        SafeTensors.Save(path, WeightTensors(model), header);
    }

    /// <summary>
    /// Loads the parameters from a weights file or a checkpoint into <paramref name="model"/>. Every parameter must be
    /// present with the model's shape; any other tensor is an error, except the <c>optimizer.*</c> tensors of a checkpoint.
    /// </summary>
    public static void LoadWeights(string path, IModel model) => LoadWeights(SafeTensors.Load(path), model);

    /// <inheritdoc cref="LoadWeights(string, IModel)"/>
    public static void LoadWeights(SafeTensorsFile file, IModel model)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(model);
        bool checkpoint = IsCheckpoint(file);
        var expected = ExpectWeights(file, model);
        foreach (string name in file.Names)
        {
            if (expected.Contains(name)) continue;
            if (checkpoint && name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) continue;
            throw Error(file, $"holds tensor '{name}', which the model does not have" +
                (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)
                    ? $" (optimizer tensors belong in a checkpoint, whose '{KindKey}' is '{CheckpointKind}')."
                    : $". The model's parameters are: {ParameterNames(model)}."));
        }
        CopyWeights(file, model);
    }

    /// <summary>
    /// Writes a training checkpoint: the weights, <paramref name="optimizer"/>'s state from
    /// <see cref="IModel.OptimizerState"/>, its type, hyper-parameters and <see cref="Optimizer.StepCount"/>, the
    /// model's <see cref="IModel.Random"/> and <paramref name="state"/>.
    /// </summary>
    public static void Save(string path, IModel model, Optimizer optimizer, TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);

        var tensors = WeightTensors(model);
        string[] stateNames = optimizer.StateNames;
        int parameterCount = model.Parameters.Length;
        ReadOnlySpan<float> optimizerState = model.OptimizerState;
        if (optimizerState.Length < stateNames.Length * parameterCount)
            throw new ArgumentException(
                $"{optimizer.GetType().Name} has {stateNames.Length} state slots, but the model keeps {optimizerState.Length / parameterCount}.", nameof(optimizer));
        for (int k = 0; k < stateNames.Length; k++)
        {
            ReadOnlySpan<float> slot = optimizerState.Slice(k * parameterCount, parameterCount);
            foreach (var info in model.ParameterTable)
                tensors.Add(new SafeTensor(OptimizerTensorName(stateNames[k], info.Name), ShapeOf(info), info.ToArray(slot)));
        }

        var header = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pt",
            [FormatVersionKey] = FormatVersion,
            [KindKey] = CheckpointKind,
            [SeedKey] = Text(state.Seed),
            [DatasetKey] = state.Dataset,
            [EpochKey] = Text(state.Epoch),
            [StepKey] = Text(state.Step),
            [OptimizerStepKey] = Text(optimizer.StepCount),
        };
        DescribeOptimizer(optimizer, header);
        WriteRng(header, ModelRngKey, model.Random);
        WriteRng(header, ShuffleRngKey, state.ShuffleRandom);
        foreach (var (key, value) in state.Settings)
        {
            if (key.Length == 0) throw new ArgumentException("A training setting has an empty key.", nameof(state));
            header[SettingsPrefix + key] = value;
        }
        SafeTensors.Save(path, tensors, header);
    }

    /// <summary>
    /// Restores a checkpoint into <paramref name="model"/> and <paramref name="optimizer"/> (which must be of the
    /// saved type): weights, optimizer state, <see cref="Optimizer.StepCount"/> and <see cref="IModel.Random"/>.
    /// Returns the run's position. Nothing changes unless the whole file fits.
    /// </summary>
    public static TrainingState Load(string path, IModel model, Optimizer optimizer) => Restore(SafeTensors.Load(path), model, optimizer);

    /// <inheritdoc cref="Load(string, IModel, Optimizer)"/>
    public static TrainingState Restore(SafeTensorsFile file, IModel model, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);

        TrainingState state = ReadState(file); // also checks that this is a checkpoint
        string savedType = Require(file, OptimizerKey);
        string type = optimizer.GetType().Name;
        if (savedType != type)
            throw Error(file, $"was written by a run with optimizer {savedType}; it cannot resume into {type}.");
        long stepCount = ParseInt64(file, OptimizerStepKey);
        Rng modelRandom = ReadRng(file, ModelRngKey);

        var expected = ExpectWeights(file, model);
        string[] stateNames = optimizer.StateNames;
        int parameterCount = model.Parameters.Length;
        if (model.OptimizerState.Length < stateNames.Length * parameterCount)
            throw new ArgumentException($"{type} has {stateNames.Length} state slots, but the model keeps {model.OptimizerState.Length / parameterCount}.", nameof(optimizer));
        foreach (string stateName in stateNames)
        {
            foreach (var info in model.ParameterTable)
            {
                string name = OptimizerTensorName(stateName, info.Name);
                ExpectTensor(file, name, info);
                expected.Add(name);
            }
        }
        foreach (string name in file.Names)
        {
            if (!expected.Contains(name))
                throw Error(file, $"holds tensor '{name}', which neither the model nor {type} (state {string.Join(", ", stateNames)}) has.");
        }

        // Everything fits: now change the model and the optimizer.
        CopyWeights(file, model);
        Span<float> optimizerState = model.OptimizerState;
        for (int k = 0; k < stateNames.Length; k++)
        {
            Span<float> slot = optimizerState.Slice(k * parameterCount, parameterCount);
            foreach (var info in model.ParameterTable)
                CopyTensor(file, OptimizerTensorName(stateNames[k], info.Name), info, slot);
        }
        optimizer.StepCount = stepCount;
        model.Random = modelRandom;
        return state;
    }

    /// <summary>True when the file says it is a training checkpoint (its <see cref="KindKey"/> is <see cref="CheckpointKind"/>).</summary>
    public static bool IsCheckpoint(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.Metadata.TryGetValue(KindKey, out string? kind) && kind == CheckpointKind;
    }

    /// <summary>Reads a checkpoint's <see cref="TrainingState"/> without touching any model, for example to learn its settings before building one.</summary>
    public static TrainingState ReadState(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!IsCheckpoint(file))
            throw Error(file, $"is not a training checkpoint (its metadata '{KindKey}' is " +
                (file.Metadata.TryGetValue(KindKey, out string? kind) ? $"'{kind}'" : "missing") +
                $"); resume from a {CheckpointFileName}, not a weights file.");
        string version = Require(file, FormatVersionKey);
        if (version != FormatVersion)
            throw Error(file, $"has checkpoint format version {version}; this build reads version {FormatVersion}.");

        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in file.Metadata)
        {
            if (key.StartsWith(SettingsPrefix, StringComparison.Ordinal)) settings[key[SettingsPrefix.Length..]] = value;
        }
        int epoch = ParseInt32(file, EpochKey);
        long step = ParseInt64(file, StepKey);
        if (epoch < 0 || step < 0) throw Error(file, $"has a negative epoch ({epoch}) or step ({step}).");
        return new TrainingState
        {
            Seed = ParseInt32(file, SeedKey),
            Dataset = Require(file, DatasetKey),
            Epoch = epoch,
            Step = step,
            ShuffleRandom = ReadRng(file, ShuffleRngKey),
            Settings = settings,
        };
    }

    private static List<SafeTensor> WeightTensors(IModel model)
    {
        ReadOnlySpan<float> parameters = model.Parameters;
        var tensors = new List<SafeTensor>(model.ParameterTable.Count * 3);
        foreach (var info in model.ParameterTable)
            tensors.Add(new SafeTensor(info.Name, ShapeOf(info), info.ToArray(parameters)));
        return tensors;
    }

    // Checks every parameter's presence and shape; returns the set of names seen, for the caller's check of extras.
    private static HashSet<string> ExpectWeights(SafeTensorsFile file, IModel model)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var info in model.ParameterTable)
        {
            ExpectTensor(file, info.Name, info);
            names.Add(info.Name);
        }
        return names;
    }

    private static void ExpectTensor(SafeTensorsFile file, string name, ParameterInfo info)
    {
        if (!file.Contains(name))
            throw Error(file, $"has no tensor '{name}' (expected shape {info.ShapeText}).");
        IReadOnlyList<int> shape = file.GetShape(name);
        bool same = shape.Count == info.Shape.Count;
        for (int d = 0; same && d < shape.Count; d++) same = shape[d] == info.Shape[d];
        if (!same)
            throw Error(file, $"has tensor '{name}' of shape ({string.Join(", ", shape)}), but the model expects {info.ShapeText}.");
    }

    private static void CopyWeights(SafeTensorsFile file, IModel model)
    {
        Span<float> parameters = model.Parameters;
        foreach (var info in model.ParameterTable)
            CopyTensor(file, info.Name, info, parameters);
    }

    // The file's tensor `name`, in PyTorch's layout, into info's place in the arena (transposed if it is stored so).
    private static void CopyTensor(SafeTensorsFile file, string name, ParameterInfo info, Span<float> arena)
    {
        if (info.StoredTransposed) info.CopyFrom(file.Get(name), arena);
        else file.CopyTo(name, ShapeOf(info), info.Slice(arena));
    }

    private static int[] ShapeOf(ParameterInfo info)
    {
        var shape = new int[info.Shape.Count];
        for (int d = 0; d < shape.Length; d++) shape[d] = info.Shape[d];
        return shape;
    }

    private static string ParameterNames(IModel model)
    {
        var names = new List<string>(model.ParameterTable.Count);
        foreach (var info in model.ParameterTable) names.Add(info.Name);
        return string.Join(", ", names);
    }

    // The optimizer's type and hyper-parameters, as PyTorch names them in param_groups.
    private static void DescribeOptimizer(Optimizer optimizer, Dictionary<string, string> header)
    {
        header[OptimizerKey] = optimizer.GetType().Name;
        header["optimizer.lr"] = Text(optimizer.LearningRate);
        switch (optimizer)
        {
            case AdamW adamW:
                header["optimizer.beta1"] = Text(adamW.Beta1);
                header["optimizer.beta2"] = Text(adamW.Beta2);
                header["optimizer.eps"] = Text(adamW.Epsilon);
                header["optimizer.weight_decay"] = Text(adamW.WeightDecay);
                break;
            case Sgd sgd:
                header["optimizer.momentum"] = Text(sgd.Momentum);
                header["optimizer.dampening"] = Text(sgd.Dampening);
                header["optimizer.weight_decay"] = Text(sgd.WeightDecay);
                header["optimizer.nesterov"] = sgd.Nesterov ? "true" : "false";
                break;
        }
    }

    private static void WriteRng(Dictionary<string, string> header, string key, Rng random)
    {
        header[key + ".s0"] = Text(random.S0);
        header[key + ".s1"] = Text(random.S1);
        header[key + ".s2"] = Text(random.S2);
        header[key + ".s3"] = Text(random.S3);
    }

    private static Rng ReadRng(SafeTensorsFile file, string key)
    {
        ulong s0 = ParseUInt64(file, key + ".s0"), s1 = ParseUInt64(file, key + ".s1");
        ulong s2 = ParseUInt64(file, key + ".s2"), s3 = ParseUInt64(file, key + ".s3");
        if ((s0 | s1 | s2 | s3) == 0) throw Error(file, $"has an all-zero random generator state '{key}', which is invalid.");
        return new Rng(s0, s1, s2, s3);
    }

    private static string Require(SafeTensorsFile file, string key)
        => file.Metadata.TryGetValue(key, out string? value) ? value : throw Error(file, $"has no metadata '{key}'.");

    private static int ParseInt32(SafeTensorsFile file, string key)
    {
        string text = Require(file, key);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value : throw Error(file, $"has metadata '{key}' = '{text}', which is not an integer.");
    }

    private static long ParseInt64(SafeTensorsFile file, string key)
    {
        string text = Require(file, key);
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value : throw Error(file, $"has metadata '{key}' = '{text}', which is not an integer.");
    }

    private static ulong ParseUInt64(SafeTensorsFile file, string key)
    {
        string text = Require(file, key);
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value : throw Error(file, $"has metadata '{key}' = '{text}', which is not an unsigned 64-bit integer.");
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static InvalidDataException Error(SafeTensorsFile file, string message) => new($"{file.Path}: {message}");
}
