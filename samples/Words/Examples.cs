using System;
using System.Collections.Generic;

namespace ModelGen.Samples.Words;

/// <summary>
/// Every next-character prediction in a list of words, as the model takes them: a word of n letters gives n + 1
/// examples, one per letter and one for the boundary that ends it. Example i's context is the T symbols before the
/// target, (Count, T) row-major, padded at the start with the boundary.
/// </summary>
public sealed class Examples
{
    private Examples(int[] contexts, int[] targets, int words, int contextLength)
    {
        Contexts = contexts;
        Targets = targets;
        Words = words;
        ContextLength = contextLength;
    }

    /// <summary>The contexts, (Count, T) ids.</summary>
    public int[] Contexts { get; }

    /// <summary>The next symbol of each context.</summary>
    public int[] Targets { get; }

    /// <summary>The number of examples: letters plus one boundary per word.</summary>
    public int Count => Targets.Length;

    /// <summary>The number of words the examples come from.</summary>
    public int Words { get; }

    /// <summary>T.</summary>
    public int ContextLength { get; }

    /// <summary>The examples of <paramref name="words"/> with contexts of <paramref name="contextLength"/>; a word with a character outside a–z is an error naming it.</summary>
    public static Examples FromWords(IReadOnlyList<string> words, int contextLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        long total = 0;
        int longest = 0;
        foreach (string word in words)
        {
            total += word.Length + 1;
            longest = Math.Max(longest, word.Length);
        }
        if (total * contextLength > Array.MaxLength) throw new ArgumentException($"{words.Count} words make too many examples for one array.", nameof(words));
        var contexts = new int[total * contextLength];
        var targets = new int[total];
        // The word's symbols after T boundaries: the context of letter i is padded[i .. i + T).
        var padded = new int[contextLength + longest];
        int n = 0;
        foreach (string word in words)
        {
            Vocabulary.Encode(word, padded.AsSpan(contextLength));
            for (int i = 0; i <= word.Length; i++)
            {
                padded.AsSpan(i, contextLength).CopyTo(contexts.AsSpan(n * contextLength, contextLength));
                targets[n++] = i < word.Length ? padded[contextLength + i] : Vocabulary.Boundary;
            }
        }
        return new Examples(contexts, targets, words.Count, contextLength);
    }
}
