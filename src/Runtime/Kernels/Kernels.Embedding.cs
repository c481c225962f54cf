using System;
using System.Numerics.Tensors;

namespace ModelGen;

public static partial class Kernels
{
    /// <summary>
    /// Embedding lookup, as <c>nn.Embedding</c>: row ids[i] of table(numEmbeddings, dim) to y(i). Every id is checked
    /// before anything is read: one outside [0, numEmbeddings) is an ArgumentOutOfRangeException naming it and its position.
    /// </summary>
    public static void EmbeddingForward(Span<float> y, ReadOnlySpan<int> ids, ReadOnlySpan<float> table, int numEmbeddings, int dim)
    {
        CheckRows(ids.Length, dim);
        CheckLength(y, ids.Length * dim); CheckLength(table, numEmbeddings * dim);
        CheckIds(ids, numEmbeddings);
        for (int i = 0; i < ids.Length; i++) table.Slice(ids[i] * dim, dim).CopyTo(y.Slice(i * dim, dim));
    }

    /// <summary>
    /// Embedding backward: dtable rows at ids += dy rows (a scatter-add; repeated ids add up). With
    /// <paramref name="accumulate"/> false the whole of dtable is written over: zero, then the scatter-add.
    /// </summary>
    public static void EmbeddingBackward(Span<float> dtable, ReadOnlySpan<float> dy, ReadOnlySpan<int> ids, int numEmbeddings, int dim, bool accumulate = true)
    {
        CheckRows(ids.Length, dim);
        CheckLength(dy, ids.Length * dim); CheckLength(dtable, numEmbeddings * dim);
        CheckIds(ids, numEmbeddings);
        if (!accumulate) dtable[..(numEmbeddings * dim)].Clear();
        for (int i = 0; i < ids.Length; i++)
        {
            var row = dtable.Slice(ids[i] * dim, dim);
            TensorPrimitives.Add(row, dy.Slice(i * dim, dim), row);
        }
    }

    private static void CheckIds(ReadOnlySpan<int> ids, int numEmbeddings)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)numEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i],
                    $"token id {ids[i]} at position {i} is outside the embedding's vocabulary [0, {numEmbeddings}).");
        }
    }
}
