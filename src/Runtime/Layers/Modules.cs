using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>One parameter tensor of a model, with views of its values and its gradient.</summary>
public sealed class Parameter
{
    private readonly Memory<float> _values;
    private readonly Memory<float> _gradients;

    /// <summary>Wraps the tensor <paramref name="info"/> of the arenas <paramref name="values"/> and <paramref name="gradients"/>.</summary>
    public Parameter(ParameterInfo info, float[] values, float[] gradients)
        : this(info, values.AsMemory(), gradients.AsMemory())
    {
    }

    /// <summary>Wraps the tensor <paramref name="info"/> of the arenas <paramref name="values"/> and <paramref name="gradients"/>.</summary>
    public Parameter(ParameterInfo info, Memory<float> values, Memory<float> gradients)
    {
        Info = info;
        _values = values;
        _gradients = gradients;
    }

    /// <summary>Name, shape and offset.</summary>
    public ParameterInfo Info { get; }

    /// <summary>The PyTorch <c>state_dict</c> key.</summary>
    public string Name => Info.Name;

    /// <summary>The shape, outermost first.</summary>
    public IReadOnlyList<int> Shape => Info.Shape;

    /// <summary>The values as the arena holds them: row-major, or transposed when <see cref="ParameterInfo.StoredTransposed"/> (see <see cref="ToArray"/>).</summary>
    public Span<float> Data => _values.Span.Slice(Info.Offset, Info.Length);

    /// <summary>The accumulated gradient, laid out as <see cref="Data"/>.</summary>
    public Span<float> Grad => _gradients.Span.Slice(Info.Offset, Info.Length);

    /// <summary>A copy of the values in PyTorch's layout (row-major in <see cref="Shape"/>), whatever the arena's.</summary>
    public float[] ToArray() => Info.ToArray(_values.Span);

    /// <summary>A copy of the gradient in PyTorch's layout (row-major in <see cref="Shape"/>), whatever the arena's.</summary>
    public float[] GradToArray() => Info.ToArray(_gradients.Span);

    /// <inheritdoc/>
    public override string ToString() => Info.ToString();
}

/// <summary>A layer of a generated model, reachable through the property that declared it.</summary>
public abstract class Module
{
    /// <summary>Creates a module whose parameters are named under <paramref name="name"/>.</summary>
    protected Module(string name) => Name = name;

    /// <summary>The PyTorch module path, for example <c>body</c> or <c>body.layers.0</c>.</summary>
    public string Name { get; }

    /// <summary>Every parameter of this module and its children, in <c>state_dict</c> order.</summary>
    public abstract IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name} {Name}";

    /// <summary>Concatenates the parameters of several modules.</summary>
    protected static IReadOnlyList<Parameter> Collect(IEnumerable<Module> modules)
    {
        var all = new List<Parameter>();
        foreach (var module in modules) all.AddRange(module.Parameters);
        return all;
    }
}

/// <summary>A module without parameters (GELU, Dropout, Flatten).</summary>
public abstract class StatelessModule : Module
{
    /// <summary>Creates the module.</summary>
    protected StatelessModule(string name) : base(name) { }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => Array.Empty<Parameter>();
}

/// <summary>A generated <c>nn.Linear</c>.</summary>
public sealed class Linear : Module
{
    /// <summary>Used by generated code.</summary>
    public Linear(string name, Parameter weight, Parameter? bias) : base(name) { Weight = weight; Bias = bias; }

    /// <summary>(out_features, in_features).</summary>
    public Parameter Weight { get; }

    /// <summary>(out_features), or null when declared with Bias = false.</summary>
    public Parameter? Bias { get; }

    /// <summary>Size of each input row.</summary>
    public int InFeatures => Weight.Shape[1];

    /// <summary>Size of each output row.</summary>
    public int OutFeatures => Weight.Shape[0];

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];
}

/// <summary>A generated <c>nn.Embedding</c>.</summary>
public sealed class Embedding : Module
{
    /// <summary>Used by generated code.</summary>
    public Embedding(string name, Parameter weight) : base(name) => Weight = weight;

    /// <summary>(num_embeddings, embedding_dim).</summary>
    public Parameter Weight { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [Weight];
}

/// <summary>A generated <c>nn.LayerNorm</c>.</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Used by generated code.</summary>
    public LayerNorm(string name, Parameter weight, Parameter bias, float eps) : base(name) { Weight = weight; Bias = bias; Eps = eps; }

    /// <summary>(D), initialised to ones.</summary>
    public Parameter Weight { get; }

    /// <summary>(D), initialised to zeros.</summary>
    public Parameter Bias { get; }

    /// <summary>Added to the variance inside the square root.</summary>
    public float Eps { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];
}

/// <summary>A generated RMSNorm.</summary>
public sealed class RMSNorm : Module
{
    /// <summary>Used by generated code.</summary>
    public RMSNorm(string name, Parameter weight, float eps) : base(name) { Weight = weight; Eps = eps; }

    /// <summary>(D), initialised to ones.</summary>
    public Parameter Weight { get; }

    /// <summary>Added to the mean square inside the square root.</summary>
    public float Eps { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [Weight];
}

/// <summary>A generated <c>nn.GELU</c> (exact erf form).</summary>
public sealed class Gelu : StatelessModule
{
    /// <summary>Used by generated code.</summary>
    public Gelu(string name) : base(name) { }
}

/// <summary>A generated <c>nn.Dropout</c>.</summary>
public sealed class Dropout : StatelessModule
{
    /// <summary>Used by generated code.</summary>
    public Dropout(string name, float p) : base(name) => P = p;

    /// <summary>Probability of zeroing a value in train mode.</summary>
    public float P { get; }
}

/// <summary>A generated <c>nn.Flatten</c>.</summary>
public sealed class Flatten : StatelessModule
{
    /// <summary>Used by generated code.</summary>
    public Flatten(string name) : base(name) { }
}

/// <summary>A generated MLP: <see cref="Linears"/> with a LayerNorm (optional) and GELU after each hidden one.</summary>
public sealed class Mlp : Module
{
    private readonly Module[] _layers;

    /// <summary>Used by generated code: the modules in PyTorch's <c>nn.Sequential</c> order.</summary>
    public Mlp(string name, Module[] layers) : base(name) => _layers = layers;

    /// <summary>The <c>layers</c> Sequential: Linear, [LayerNorm,] GELU, …, Linear.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <summary>Just the Linear layers, input first.</summary>
    public IReadOnlyList<Linear> Linears => Of<Linear>();

    /// <summary>Just the LayerNorms (empty unless declared with UseLayerNorm).</summary>
    public IReadOnlyList<LayerNorm> Norms => Of<LayerNorm>();

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => Collect(_layers);

    private List<T> Of<T>() where T : Module
    {
        var list = new List<T>();
        foreach (var layer in _layers) if (layer is T t) list.Add(t);
        return list;
    }
}

/// <summary>A generated FeedForward: <c>net</c> = Linear(d_model, d_ff) → GELU → Linear(d_ff, d_model).</summary>
public sealed class FeedForward : Module
{
    /// <summary>Used by generated code.</summary>
    public FeedForward(string name, Linear up, Linear down) : base(name) { Up = up; Down = down; }

    /// <summary><c>net.0</c>: d_model → d_ff.</summary>
    public Linear Up { get; }

    /// <summary><c>net.2</c>: d_ff → d_model.</summary>
    public Linear Down { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [.. Up.Parameters, .. Down.Parameters];
}

/// <summary>A generated Residual: x + fn(x), with fn the <see cref="Block"/> modules in order.</summary>
public sealed class Residual : Module
{
    private readonly Module[] _block;

    /// <summary>Used by generated code.</summary>
    public Residual(string name, Module[] block) : base(name) => _block = block;

    /// <summary>The modules of fn, in order (PyTorch: <c>fn</c>, an <c>nn.Sequential</c>).</summary>
    public IReadOnlyList<Module> Block => _block;

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => Collect(_block);
}

/// <summary>A generated ClassificationHead: <c>fc</c>, a Linear to the logits.</summary>
public sealed class ClassificationHead : Module
{
    /// <summary>Used by generated code.</summary>
    public ClassificationHead(string name, Linear fc) : base(name) => Fc = fc;

    /// <summary>d_in → num_classes.</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => Fc.Parameters;
}
