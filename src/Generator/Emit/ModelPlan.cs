using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Generator.Helpers;

namespace ModelGen.Generator.Emit;

/// <summary>A parameter tensor: its PyTorch name, the C# member that views it, shape, arena offset and initialiser.</summary>
internal sealed record ParameterSlot(string TorchName, string Member, int[] Shape, int Offset, string Init, bool StoredTransposed)
{
    public int Length => Shape.Aggregate(1, (a, b) => a * b);

    public string ShapeText => "(" + string.Join(", ", Shape) + ")";

    /// <summary>The shape in the arena: <see cref="ShapeText"/>, or for a weight stored transposed what it is stored as.</summary>
    public string StorageText => StoredTransposed ? $"{ShapeText} stored transposed, ({Shape[1]}, {Shape[0]})" : ShapeText;
}

/// <summary>An activation-sized buffer: <see cref="PerRow"/> floats for each of the batch's rows.</summary>
internal sealed record BufferSlot(string Member, int PerRow, string ShapeText, int Offset);

/// <summary>
/// A value flowing between layers: which buffer holds it, its per-row shape, and which buffer holds its gradient.
/// The model input needs no gradient (<see cref="NeedsGrad"/> false): a layer that reads it skips its input
/// gradient where it can, and a norm, whose kernel writes one regardless, writes it to a scratch buffer. A GELU's
/// output that a Linear reads has no gradient buffer of its own: <see cref="ThroughGelu"/> says where the Linear's
/// input gradient goes instead, through the GELU's derivative.
/// </summary>
internal sealed record Tensor(string Value, int[] Shape, string? Grad, bool NeedsGrad = true, GeluBackwardInReader? ThroughGelu = null)
{
    public int PerRow => Shape.Aggregate(1, (a, b) => a * b);

    public int Last => Shape[Shape.Length - 1];

    /// <summary>How many vectors of the last dimension a call holds: <c>rows</c> or <c>rows * T</c>.</summary>
    public string Rows => Shape.Length == 1 ? "rows" : $"rows * {Literal.Int(PerRow / Last)}";

    /// <summary>The number of floats a call holds: <c>rows * 256</c>.</summary>
    public string Count => $"rows * {Literal.Int(PerRow)}";

    public string ShapeText => "(rows, " + string.Join(", ", Shape) + ")";

    /// <summary>The value sliced to the rows of this call, for element-wise kernels.</summary>
    public string ValueSlice => $"{Value}[..({Count})]";

    public string GradSlice => $"{Grad}[..({Count})]";
}

/// <summary>
/// A GELU whose backward the layer reading its output does (a Linear, in <c>LinearBackwardInputThroughGelu</c>): the
/// gradient of the GELU's input, which that layer writes, and the derivative the GELU's forward saved.
/// </summary>
internal sealed record GeluBackwardInReader(string InputGrad, string Derivative);

/// <summary>
/// Everything the emitter lays out for one model: the parameter arena, the activation arena (values saved for
/// backward), the activation-gradient arena, the derivative arena (doubles saved for backward, when a layer saves
/// any), and the operations in forward order.
/// </summary>
internal sealed class ModelPlan
{
    public List<ParameterSlot> Parameters { get; } = new();

    public List<BufferSlot> Activations { get; } = new();

    public List<BufferSlot> ActivationGradients { get; } = new();

    /// <summary>Values saved for backward in double precision (GELU's derivative), in their own arena.</summary>
    public List<BufferSlot> Derivatives { get; } = new();

    public int ParameterCount { get; private set; }

    public int ActivationsPerRow { get; private set; }

    public int GradientsPerRow { get; private set; }

    public int DerivativesPerRow { get; private set; }

    /// <summary>
    /// A parameter tensor: PyTorch's name and shape, and its initialisation with <c>{0}</c> for the view. With
    /// <paramref name="storedTransposed"/> a 2-D tensor is kept transposed in the arena (see <c>ParameterInfo.StoredTransposed</c>).
    /// </summary>
    public ParameterSlot AddParameter(string torchName, int[] shape, string init, bool storedTransposed = false)
    {
        var slot = new ParameterSlot(torchName, Member(torchName), shape, ParameterCount, init, storedTransposed);
        Parameters.Add(slot);
        ParameterCount += slot.Length;
        return slot;
    }

    /// <summary>A saved per-row buffer (for example LayerNorm's mean): <paramref name="perRow"/> floats per batch row.</summary>
    public BufferSlot AddBuffer(string member, int perRow, string shapeText)
    {
        var slot = new BufferSlot(Identifier(member), perRow, shapeText, ActivationsPerRow);
        Activations.Add(slot);
        ActivationsPerRow += perRow;
        return slot;
    }

    /// <summary>A saved per-row buffer of doubles (GELU's derivative): <paramref name="perRow"/> doubles per batch row.</summary>
    public BufferSlot AddDerivative(string member, int perRow, string shapeText)
    {
        var slot = new BufferSlot(member, perRow, shapeText, DerivativesPerRow);
        Derivatives.Add(slot);
        DerivativesPerRow += perRow;
        return slot;
    }

    /// <summary>A new layer output with its own value and gradient buffers.</summary>
    public Tensor AddTensor(string torchName, int[] shape)
    {
        string member = Member(torchName);
        var value = AddBuffer(member, shape.Aggregate(1, (a, b) => a * b), ShapeText(shape));
        var grad = new BufferSlot("d_" + member, value.PerRow, value.ShapeText, GradientsPerRow);
        ActivationGradients.Add(grad);
        GradientsPerRow += grad.PerRow;
        return new Tensor(value.Member, shape, grad.Member);
    }

    /// <summary>A new layer output whose gradient shares an existing buffer (a residual sum and its block's output).</summary>
    public Tensor AddTensorSharingGrad(string torchName, int[] shape, string? grad)
    {
        var value = AddBuffer(Member(torchName), shape.Aggregate(1, (a, b) => a * b), ShapeText(shape));
        return new Tensor(value.Member, shape, grad);
    }

    /// <summary>The per-row shape without its last dimension, (1) when there is none: the shape of per-vector statistics.</summary>
    public static int[] Leading(int[] shape) => shape.Length == 1 ? new[] { 1 } : shape.Take(shape.Length - 1).ToArray();

    public static int[] Append(int[] shape, int last) => shape.Concat(new[] { last }).ToArray();

    public static string Member(string torchName) => torchName.Replace('.', '_');

    /// <summary>
    /// A member name as C# source: a layer's output buffer takes the layer's snake_case name, which may be a keyword
    /// (a Linear named <c>Out</c> writes to <c>@out</c>). Names with a suffix or a <c>d_</c> prefix never are.
    /// </summary>
    public static string Identifier(string member)
        => SyntaxFacts.GetKeywordKind(member) == SyntaxKind.None ? member : "@" + member;

    public static string ShapeText(int[] shape) => "(B, " + string.Join(", ", shape) + ")";
}
