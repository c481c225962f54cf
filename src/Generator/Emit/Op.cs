using System.Collections.Generic;
using System.Linq;
using ModelGen.Generator.Helpers;

namespace ModelGen.Generator.Emit;

/// <summary>
/// One step of the forward pass and its derivative rule. The model emitter writes every op's forward in order, then
/// every op's backward in exact reverse order; a composite op (MLP, Residual, …) does the same for its children.
/// </summary>
internal abstract class Op
{
    public const string Kernels = "global::ModelGen.Kernels";

    public const string TensorPrimitives = "global::System.Numerics.Tensors.TensorPrimitives";

    /// <summary>
    /// The argument of every kernel that writes a parameter's gradient: BackwardCore's <c>accumulate</c>, true when
    /// Backward adds into the gradients (as autograd does) and false when TrainStep writes them afresh, which spares
    /// it zeroing them first.
    /// </summary>
    public const string Accumulate = "accumulate: accumulate";

    public abstract void EmitForward(IndentedTextWriter writer);

    public abstract void EmitBackward(IndentedTextWriter writer);

    /// <summary>
    /// Whether the forward computes each row's outputs from that row of its inputs alone, in kernels whose results
    /// for a row are the same bit for bit whatever other rows a call holds (at least
    /// <c>KernelThreads.RowBlockMinimum</c> of them): a run of such layers goes through the batch in row blocks, one
    /// per thread, in one parallel region (<c>KernelThreads.ForRowBlocks</c>).
    /// </summary>
    public virtual bool RowWiseForward => false;
}

/// <summary>The result of lowering one declared layer: its op, the tensor it produces, and its runtime module.</summary>
internal sealed record Lowered(Op Op, Tensor Output, string Module)
{
    /// <summary>A module holding others, one child per line: <c>new global::ModelGen.Mlp("body", [ … ])</c>.</summary>
    public static string Container(string type, string name, IEnumerable<string> children)
    {
        var lines = new List<string> { $"new global::ModelGen.{type}(\"{name}\",", "[" };
        foreach (var child in children)
        {
            var childLines = child.Split('\n');
            for (int i = 0; i < childLines.Length; i++)
                lines.Add("    " + childLines[i] + (i == childLines.Length - 1 ? "," : ""));
        }
        lines.Add("])");
        return string.Join("\n", lines);
    }
}

/// <summary>Children in order; backward visits them reversed.</summary>
internal class SequenceOp : Op
{
    public SequenceOp(string comment, IReadOnlyList<Op> children)
    {
        Comment = comment;
        Children = children;
    }

    /// <summary>The line that introduces the children: <c>body: MLP(784 → 256 ×2 → 256, depth 3, LayerNorm)</c>.</summary>
    public string Comment { get; }

    public IReadOnlyList<Op> Children { get; }

    public override bool RowWiseForward => Children.All(child => child.RowWiseForward);

    public override void EmitForward(IndentedTextWriter writer)
    {
        writer.WriteLine($"// {Comment}");
        foreach (var child in Children) child.EmitForward(writer);
    }

    public override void EmitBackward(IndentedTextWriter writer)
    {
        writer.WriteLine($"// {Comment}: backward");
        for (int i = Children.Count - 1; i >= 0; i--) Children[i].EmitBackward(writer);
    }
}
