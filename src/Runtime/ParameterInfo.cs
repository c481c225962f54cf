using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>One parameter tensor of a generated model: its PyTorch-style name, shape, and place in the parameter arena.</summary>
public sealed class ParameterInfo
{
    private readonly int[] _shape;

    /// <summary>Describes a tensor of <paramref name="shape"/> at <paramref name="offset"/> in the arena.</summary>
    public ParameterInfo(string name, int offset, params int[] shape)
    {
        Name = name;
        Offset = offset;
        _shape = (int[])shape.Clone();
        int length = 1;
        foreach (int d in shape) length *= d;
        Length = length;
    }

    /// <summary>The PyTorch <c>state_dict</c> key, for example <c>body.layers.0.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Offset of the first element in the parameter (and gradient) arena.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The shape, outermost dimension first, as PyTorch reports it.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The shape as PyTorch prints it, for example <c>(256, 784)</c>.</summary>
    public string ShapeText => "(" + string.Join(", ", _shape) + ")";

    /// <summary>This tensor's slice of an arena laid out like the parameters.</summary>
    public Span<float> Slice(Span<float> arena) => arena.Slice(Offset, Length);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {ShapeText}";
}
