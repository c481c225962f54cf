using ModelGen.Generator.Helpers;

namespace ModelGen.Generator.Models;

// Value-only models (see ModelSpec.cs). Name is the PyTorch module path, for example "body" or "block.fn.0".

/// <summary>A layer as declared, after its sizes were checked against the shape flowing into it.</summary>
internal abstract record LayerSpec(string Name)
{
    /// <summary>The runtime module type the property must be declared as.</summary>
    public abstract string ModuleType { get; }
}

internal sealed record LinearSpec(string Name, int InFeatures, int OutFeatures, bool Bias, int Init) : LayerSpec(Name)
{
    public override string ModuleType => "Linear";
}

internal sealed record EmbeddingSpec(string Name, int NumEmbeddings, int EmbeddingDim) : LayerSpec(Name)
{
    public override string ModuleType => "Embedding";
}

internal sealed record DropoutSpec(string Name, double P) : LayerSpec(Name)
{
    public override string ModuleType => "Dropout";
}

internal sealed record LayerNormSpec(string Name, int D, double Eps) : LayerSpec(Name)
{
    public override string ModuleType => "LayerNorm";
}

internal sealed record RMSNormSpec(string Name, int D, double Eps) : LayerSpec(Name)
{
    public override string ModuleType => "RMSNorm";
}

internal sealed record GeluSpec(string Name) : LayerSpec(Name)
{
    public override string ModuleType => "Gelu";
}

internal sealed record FlattenSpec(string Name) : LayerSpec(Name)
{
    public override string ModuleType => "Flatten";
}

internal sealed record MlpSpec(string Name, int InDim, int HiddenDim, int OutDim, int Depth, bool UseLayerNorm) : LayerSpec(Name)
{
    public override string ModuleType => "Mlp";
}

internal sealed record FeedForwardSpec(string Name, int DModel, int DFf) : LayerSpec(Name)
{
    public override string ModuleType => "FeedForward";
}

internal sealed record ClassificationHeadSpec(string Name, int DIn, int NumClasses) : LayerSpec(Name)
{
    public override string ModuleType => "ClassificationHead";
}

internal sealed record ResidualSpec(string Name, EquatableArray<LayerSpec> Block) : LayerSpec(Name)
{
    public override string ModuleType => "Residual";
}
