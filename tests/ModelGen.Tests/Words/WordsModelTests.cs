using System;
using System.IO;
using System.Linq;
using ModelGen.Samples;
using ModelGen.Samples.Words;
using ModelGen.Tests.Mnist;

namespace ModelGen.Tests.Words;

/// <summary>The pieces of the Words sample that need no word list: vocabulary, examples, split, bigram, Dropout, sampling.</summary>
public sealed class WordsModelTests
{
    private static readonly string[] s_words = ["ab", "abba", "cab", "zebra", "a"];

    private static int[] Contexts(int rows, int seed)
    {
        var random = new Rng((ulong)seed);
        return Enumerable.Range(0, rows * WordModelShape.Context).Select(_ => random.NextInt(Vocabulary.Size)).ToArray();
    }

    [Fact]
    public void TheVocabularyIsTheBoundaryAndTheLetters()
    {
        Assert.Equal(27, Vocabulary.Size);
        Assert.Equal(0, Vocabulary.Boundary);
        Assert.Equal(-1, Vocabulary.IdOf('.')); // the boundary prints as '.', but no word holds it
        Assert.Equal(1, Vocabulary.IdOf('a'));
        Assert.Equal(26, Vocabulary.IdOf('z'));
        Assert.Equal(-1, Vocabulary.IdOf('A'));
        Assert.Equal('.', Vocabulary.CharOf(0));
        Assert.Equal('q', Vocabulary.CharOf(Vocabulary.IdOf('q')));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.CharOf(27));
    }

    [Fact]
    public void ACharacterOutsideTheVocabularyIsAnErrorNamingItsWordAndPosition()
    {
        var ids = new int[10];
        var error = Assert.Throws<ArgumentException>(() => Vocabulary.Encode("naïve", ids));
        Assert.Equal("'naïve' has 'ï' (U+00EF) at position 3, which is not in the vocabulary: the model knows the letters a-z only.", error.Message);
        Assert.All(ids, id => Assert.Equal(0, id)); // nothing written
        error = Assert.Throws<ArgumentException>(() => Examples.FromWords(["ok", "don't"], WordModelShape.Context));
        Assert.StartsWith("'don't' has ''' (U+0027) at position 4", error.Message);
        error = Assert.Throws<ArgumentException>(() => Vocabulary.Encode("Cat", ids));
        Assert.Contains("'C' (U+0043) at position 1", error.Message);
        Assert.Contains("(U+0020) at position 2", Assert.Throws<ArgumentException>(() => Bigram.Fit(["a b"])).Message);
    }

    [Fact]
    public void TheModelsEmbeddingRejectsAnIdOutsideTheVocabulary()
    {
        var model = new WordModel();
        int[] contexts = Contexts(2, 1);
        contexts[WordModelShape.Context + 3] = Vocabulary.Size;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(contexts, 2, new float[2 * Vocabulary.Size]));
        Assert.Contains($"token id 27 at position {WordModelShape.Context + 3} is outside the embedding's vocabulary [0, 27)", error.Message);
    }

    [Fact]
    public void ExamplesAreEveryLetterAndTheWordsEndWithTheContextBeforeIt()
    {
        var examples = Examples.FromWords(["ab", "c"], contextLength: 3);
        Assert.Equal(5, examples.Count); // a, b, end; c, end
        Assert.Equal(2, examples.Words);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 1, 0, 1, 2, 0, 0, 0, 0, 0, 3 }, examples.Contexts);
        Assert.Equal(new[] { 1, 2, 0, 3, 0 }, examples.Targets);

        // A word longer than the context keeps only its last T letters.
        var longer = Examples.FromWords(["abcde"], contextLength: 2);
        Assert.Equal(new[] { 4, 5 }, longer.Contexts[^2..]);
        Assert.Equal(0, longer.Targets[^1]);
    }

    [Fact]
    public void Fnv1aMatchesThePublishedValues()
    {
        // The FNV-1a 32-bit test vectors of draft-eastlake-fnv.
        Assert.Equal(0x811C9DC5u, WordList.Fnv1a(""));
        Assert.Equal(0xE40C292Cu, WordList.Fnv1a("a"));
        Assert.Equal(0xBF9CF968u, WordList.Fnv1a("foobar"));
    }

    [Fact]
    public void TheSplitDependsOnEachWordAloneNotOnTheFilesOrder()
    {
        string[] lines = ["Zebra", "apple", "apple", "Apple's", "café", "", "  banana  ", "cherry", "date", "elder", "fig", "grape", "kiwi", "lemon", "mango"];
        var forward = WordList.FromLines(lines, "test");
        var backward = WordList.FromLines(lines.Reverse(), "test");
        Assert.Equal(forward.Train, backward.Train);
        Assert.Equal(forward.Validation, backward.Validation);
        Assert.Equal(forward.Test, backward.Test);
        Assert.Equal(14, forward.Lines);
        Assert.Equal(3, forward.Skipped); // a repeated apple, apple's, café
        string[] all = forward.Train.Concat(forward.Validation).Concat(forward.Test).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["apple", "banana", "cherry", "date", "elder", "fig", "grape", "kiwi", "lemon", "mango", "zebra"], all);
        foreach (string word in all) Assert.Contains(word, forward.Of(WordList.SplitOf(word)));
        Assert.Equal(forward.Train, forward.Train.Order(StringComparer.Ordinal));

        // A word keeps its part when the rest of the list changes.
        var fewer = WordList.FromLines(lines.Take(8), "test");
        foreach (string word in fewer.Train) Assert.Contains(word, forward.Train);
    }

    [Fact]
    public void AMissingWordListSaysHowToGetOne()
    {
        var error = Assert.Throws<FileNotFoundException>(() => WordList.Load("/nonexistent/words.txt"));
        Assert.Equal("There is no word list at /nonexistent/words.txt; give a word list (one word per line) with --words FILE, or " +
            "install the word list with: apt-get update && apt-get install -y wamerican.", error.Message);
        var output = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(CommandLineApp.ExitError, App.Run(["--words", "/nonexistent/words.txt"], output, stderr, liveProgress: false));
        Assert.StartsWith("words: error: There is no word list at /nonexistent/words.txt", stderr.ToString());
        Assert.Throws<InvalidDataException>(() => WordList.FromLines(["l'été", "123"], "odd.txt"));
    }

    [Fact]
    public void TakeSpreadsTheSubsetThroughTheAlphabet()
    {
        var words = WordList.FromLines(Enumerable.Range(0, 26 * 26).Select(i => $"{(char)('a' + i / 26)}{(char)('a' + i % 26)}"), "pairs");
        var few = words.Take(26, 5);
        Assert.Equal(26, few.Train.Length);
        Assert.True(few.Train.Select(w => w[0]).Distinct().Count() >= 20, string.Join(" ", few.Train));
        Assert.Equal(5, few.Validation.Length);
        Assert.Same(words.Train, words.Take(null, null).Train);
    }

    [Fact]
    public void TheBigramBaselineIsAddOneSmoothedCounts()
    {
        var bigram = Bigram.Fit(s_words);
        // After 'a' come b in ab, abba, cab and the end in abba, zebra, a: 6 bigrams, 3 of them a→b.
        int a = Vocabulary.IdOf('a'), b = Vocabulary.IdOf('b');
        Assert.Equal(Math.Log((3 + 1.0) / (6 + 27)), bigram.LogProbability(a, b), 12);
        Assert.Equal(Math.Log((0 + 1.0) / (6 + 27)), bigram.LogProbability(a, Vocabulary.IdOf('q')), 12);
        for (int previous = 0; previous < Vocabulary.Size; previous++)
            Assert.Equal(1.0, Enumerable.Range(0, Vocabulary.Size).Sum(next => Math.Exp(bigram.LogProbability(previous, next))), 12);

        var examples = Examples.FromWords(["ab"], WordModelShape.Context);
        double expected = -(bigram.LogProbability(0, a) + bigram.LogProbability(a, b) + bigram.LogProbability(b, 0)) / 3;
        Assert.Equal(expected, bigram.Loss(examples), 12);
    }

    [Fact]
    public void EvalModeTurnsDropoutOffAndTrainModeDrawsNewMasks()
    {
        var model = new WordModel(seed: 7);
        int rows = 16;
        int[] contexts = Contexts(rows, 2);
        var first = new float[rows * Vocabulary.Size];
        var second = new float[rows * Vocabulary.Size];

        Assert.True(model.IsTraining); // a new model starts in train mode, as in PyTorch
        model.Forward(contexts, rows, first);
        model.Forward(contexts, rows, second);
        Assert.NotEqual(first, second);

        model.Eval();
        model.Forward(contexts, rows, first);
        model.Forward(contexts, rows, second);
        Assert.Equal(first, second);

        // In eval mode WordModel is exactly the model without Dropout, which the same seed initialises alike.
        var plain = new WordModelNoDropout(seed: 7);
        Assert.Equal(model.Parameters.ToArray(), plain.Parameters.ToArray());
        Assert.Equal(model.ParameterTable.Select(p => p.Name), plain.ParameterTable.Select(p => p.Name));
        var withoutDropout = new float[rows * Vocabulary.Size];
        plain.Forward(contexts, rows, withoutDropout); // train mode, p = 0
        Assert.Equal(first, withoutDropout);
    }

    [Fact]
    public void ValidationAndSamplingRunInEvalModeAndRestoreTheMode()
    {
        var model = new WordModel(seed: 3);
        var examples = Examples.FromWords(s_words, WordModelShape.Context);
        double loss = Trainer.Evaluate(model, examples);
        Assert.True(model.IsTraining);
        Assert.Equal(loss, Trainer.Evaluate(model, examples)); // no Dropout masks: the same number twice
        Assert.InRange(loss, 2.0, 6.0); // an untrained model: near ln 27 = 3.3

        var words = Trainer.SampleWords(model, 10, 1.0f, seed: 4);
        Assert.True(model.IsTraining);
        Assert.Equal(words, Trainer.SampleWords(model, 10, 1.0f, seed: 4));
        Assert.NotEqual(words, Trainer.SampleWords(model, 10, 1.0f, seed: 5));
        Assert.All(words, w => Assert.True(w.Length <= Sampler.MaxLength && w.All(c => c is >= 'a' and <= 'z'), w));

        var random = new Rng(1);
        Assert.StartsWith("qu", new Sampler(model).Sample(ref random, 0.8f, "qu"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(model).Sample(ref random, 0f));
        Assert.Contains("'Q' (U+0051) at position 1", Assert.Throws<ArgumentException>(() => new Sampler(model).Sample(ref random, 1f, "Qu")).Message);
    }

    [Fact]
    public void SampledWordsAreMarkedWhenTheListHoldsThem()
    {
        var words = WordList.FromLines(["cat", "dog", "eel", "fox", "gnu", "hen", "yak", "owl", "ant", "bee", "elk", "emu"], "animals");
        string heldOut = words.Validation.Concat(words.Test).First();
        string text = Trainer.FormatSamples([words.Train[0], heldOut, "zzz"], words);
        Assert.Equal($"  {(words.Train[0] + "*").PadRight(18)}  {(heldOut + "+").PadRight(18)}  zzz" + Environment.NewLine, text);
    }

    [Fact]
    public void TheLossPlotWithAValidationLossIsAPng()
    {
        using var temp = new TempDirectory();
        var losses = Enumerable.Range(0, 300).Select(i => 3.3f * MathF.Exp(-i / 100f) + 1.9f).ToArray();
        string path = Path.Combine(temp.Path, "loss.png");
        LossPlot.SaveWithHeldOutLoss(path, "test", "loss (nats per character, log scale)", losses, 100, "validation loss", [2.4, 2.1, 2.0]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(path)[..4]);
    }
}
