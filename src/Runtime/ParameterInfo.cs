using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>
/// One parameter tensor of a generated model: its PyTorch-style name, shape, and place in the parameter arena. A tensor
/// is row-major in the arena, except that the weight of a Linear that reads the model's input is stored transposed
/// (<see cref="StoredTransposed"/>); <see cref="CopyTo"/>, <see cref="ToArray"/> and <see cref="CopyFrom"/> move any
/// tensor in PyTorch's layout.
/// </summary>
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

    /// <summary>
    /// True when the arena holds this 2-D tensor transposed: a (rows, columns) weight as (columns, rows), row-major.
    /// A generated model stores so the weight of a Linear that reads the model's input (such as images), whose
    /// products then read the weight and write its gradient without a transposed copy (see
    /// <see cref="Kernels.LinearForwardTransposed"/>). <see cref="Shape"/> stays PyTorch's; checkpoints hold PyTorch's layout.
    /// </summary>
    public bool StoredTransposed
    {
        get;
        init
        {
            if (value && _shape.Length != 2)
                throw new ArgumentException($"Only a 2-D tensor can be stored transposed; {Name} has shape {ShapeText}.", nameof(value));
            field = value;
        }
    }

    /// <summary>The shape of the values in the arena: <see cref="Shape"/>, with its two dimensions swapped when <see cref="StoredTransposed"/>.</summary>
    public IReadOnlyList<int> StorageShape => StoredTransposed ? [_shape[1], _shape[0]] : _shape;

    /// <summary>This tensor's slice of an arena laid out like the parameters, in the arena's order (see <see cref="StoredTransposed"/>).</summary>
    public Span<float> Slice(Span<float> arena) => arena.Slice(Offset, Length);

    /// <summary>Copies this tensor from an arena laid out like the parameters to <paramref name="destination"/> in PyTorch's layout (row-major in <see cref="Shape"/>).</summary>
    public void CopyTo(ReadOnlySpan<float> arena, Span<float> destination)
    {
        ReadOnlySpan<float> stored = arena.Slice(Offset, Length);
        if (destination.Length < Length) throw new ArgumentException($"{Name} has {Length} values; the destination holds {destination.Length}.", nameof(destination));
        if (StoredTransposed) Kernels.Transpose(stored, _shape[1], _shape[0], destination);
        else stored.CopyTo(destination);
    }

    /// <summary>This tensor's values in PyTorch's layout (row-major in <see cref="Shape"/>), copied from an arena laid out like the parameters.</summary>
    public float[] ToArray(ReadOnlySpan<float> arena)
    {
        var values = new float[Length];
        CopyTo(arena, values);
        return values;
    }

    /// <summary>Copies <paramref name="source"/>, in PyTorch's layout (row-major in <see cref="Shape"/>), into this tensor's place in an arena laid out like the parameters.</summary>
    public void CopyFrom(ReadOnlySpan<float> source, Span<float> arena)
    {
        if (source.Length != Length) throw new ArgumentException($"{Name} has {Length} values; the source holds {source.Length}.", nameof(source));
        Span<float> stored = arena.Slice(Offset, Length);
        if (StoredTransposed) Kernels.Transpose(source, _shape[0], _shape[1], stored);
        else source.CopyTo(stored);
    }

    /// <inheritdoc/>
    public override string ToString() => StoredTransposed ? $"{Name} {ShapeText}, stored as ({_shape[1]}, {_shape[0]})" : $"{Name} {ShapeText}";
}
