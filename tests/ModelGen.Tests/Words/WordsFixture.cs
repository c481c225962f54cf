using System;
using System.IO;
using ModelGen.Samples.Words;

namespace ModelGen.Tests.Words;

/// <summary>
/// Debian's word list (package wamerican), read once for every test in the "Words" collection. When it is missing it
/// is installed as the Words trainer installs it (root with apt-get); where that cannot be done the tests fail, with
/// the command that installs it, rather than pass without having run.
/// </summary>
public sealed class WordsFixture
{
    private readonly Lazy<WordList> _words = new(() =>
    {
        WordList.EnsureDefault(TextWriter.Null);
        if (!File.Exists(WordList.DefaultPath))
            throw new InvalidOperationException($"The Words tests need the word list {WordList.DefaultPath}; {WordList.InstallHint}.");
        return WordList.Load(WordList.DefaultPath);
    });

    /// <summary>The whole list, split.</summary>
    public WordList Words => _words.Value;
}

/// <summary>Tests that share <see cref="WordsFixture"/>; they run one after another, so timings do not fight for the cores.</summary>
[CollectionDefinition(Name)]
public sealed class WordsCollection : ICollectionFixture<WordsFixture>
{
    public const string Name = "Words";
}
