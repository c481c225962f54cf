using System;
using System.Collections.Generic;
using System.IO;
using ModelGen.IO;

namespace ModelGen.Samples.Words;

/// <summary>The command-line application: parses, loads the words, runs the command, and maps outcomes to exit codes.</summary>
public static class App
{
    /// <summary>Runs the command in <paramref name="args"/>; returns the exit code, one of <see cref="CommandLineApp"/>'s.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool liveProgress)
        => CommandLineApp.Run(CommandLine.Program, () => CommandLine.Parse(args), command => command switch
        {
            TrainCommand train => Train(train.Options, output, error, liveProgress),
            SampleCommand sample => Sample(sample.Options, output),
            _ => throw new InvalidOperationException($"unhandled command {command}"),
        }, output, error);

    private static int Train(TrainerOptions options, TextWriter output, TextWriter error, bool liveProgress)
    {
        if (options.WordsPath == WordList.DefaultPath) WordList.EnsureDefault(output);
        WordList words = WordList.Load(options.WordsPath);
        var result = new Trainer(options, words, output, liveProgress).Run();
        return CommandLineApp.ExitCodeOf(CommandLine.Program, result, output, error);
    }

    private static int Sample(SampleOptions options, TextWriter output)
    {
        if (!File.Exists(options.Weights)) throw new FileNotFoundException($"--weights: there is no file {options.Weights}.", options.Weights);
        var model = new WordModel(); // eval mode below: Dropout's p does not matter, and both classes share their parameters
        Checkpoint.LoadWeights(options.Weights, model);
        var samples = Trainer.SampleWords(model, options.Count, options.Temperature, options.Seed, options.Prefix);
        WordList? words = File.Exists(WordList.DefaultPath) ? WordList.Load(WordList.DefaultPath) : null;
        output.WriteLine($"{samples.Count} words from {Path.GetFullPath(options.Weights)} at temperature {options.Temperature.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} " +
            $"(seed {options.Seed}{(words is null ? "" : "; * marks a word of the list, + one it holds for validation or test")}):");
        output.Write(Trainer.FormatSamples(samples, words));
        return CommandLineApp.ExitOk;
    }
}
