using System;
using System.Globalization;

namespace ModelGen.Samples.Words;

/// <summary>
/// The model's 27 symbols: id 0 is the word boundary (printed <c>.</c>), which pads the context before a word's first
/// letter and, as a target, ends the word; ids 1–26 are the letters a–z.
/// </summary>
public static class Vocabulary
{
    /// <summary>Number of symbols: the boundary and 26 letters.</summary>
    public const int Size = 27;

    /// <summary>The boundary's id.</summary>
    public const int Boundary = 0;

    /// <summary>How the boundary prints.</summary>
    public const char BoundaryChar = '.';

    /// <summary>The id of <paramref name="c"/>, or -1 when it is not a letter a–z.</summary>
    public static int IdOf(char c) => c is >= 'a' and <= 'z' ? c - 'a' + 1 : -1;

    /// <summary>The character of <paramref name="id"/>: <c>.</c> for the boundary, else a–z.</summary>
    public static char CharOf(int id) => (uint)id < Size
        ? id == Boundary ? BoundaryChar : (char)('a' + id - 1)
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"id {id} is not a symbol of the vocabulary [0, {Size}).");

    /// <summary>True when <paramref name="word"/> is non-empty and made of the letters a–z only.</summary>
    public static bool IsWord(string word)
    {
        if (word.Length == 0) return false;
        foreach (char c in word)
        {
            if (IdOf(c) < 0) return false;
        }
        return true;
    }

    /// <summary>
    /// Writes the ids of <paramref name="word"/>'s letters into <paramref name="ids"/>. A character outside a–z is an
    /// <see cref="ArgumentException"/> that names it, the word and its position, before anything is written.
    /// </summary>
    public static void Encode(string word, Span<int> ids)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (ids.Length < word.Length)
            throw new ArgumentException($"{ids.Length} ids cannot hold the {word.Length} letters of '{word}'.", nameof(ids));
        for (int i = 0; i < word.Length; i++)
        {
            if (IdOf(word[i]) < 0) throw OutsideVocabulary(word, i);
        }
        for (int i = 0; i < word.Length; i++) ids[i] = IdOf(word[i]);
    }

    /// <summary>The error for <paramref name="word"/>[<paramref name="index"/>], a character the vocabulary lacks.</summary>
    public static ArgumentException OutsideVocabulary(string word, int index)
    {
        char c = word[index];
        string shown = char.IsControl(c) || char.IsWhiteSpace(c) ? "" : $"'{c}' ";
        return new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"'{word}' has {shown}(U+{(int)c:X4}) at position {index + 1}, which is not in the vocabulary: the model knows the letters a-z only."));
    }
}
