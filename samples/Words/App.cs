using System;
using System.Collections.Generic;
using System.IO;
using ModelGen.IO;

namespace ModelGen.Samples.Words;

/// <summary>The command-line application: parses, loads the words, runs the command, and maps outcomes to exit codes.</summary>
public static class App
{
    /// <summary>Success.</summary>
    public const int ExitOk = 0;

    /// <summary>A runtime error: a missing word list, an unreadable or mismatched file.</summary>
    public const int ExitError = 1;

    /// <summary>A bad command line.</summary>
    public const int ExitUsage = 2;

    /// <summary>The loss or the weights became NaN or infinite.</summary>
    public const int ExitDiverged = 3;

    /// <summary>Runs the command in <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool liveProgress)
    {
        Command command;
        try
        {
            command = CommandLine.Parse(args);
        }
        catch (UsageException e)
        {
            error.WriteLine($"words: {e.Message}");
            error.WriteLine("Run 'words --help' for the commands and options.");
            return ExitUsage;
        }

        try
        {
            switch (command)
            {
                case HelpCommand help:
                    output.Write(help.Text);
                    return ExitOk;
                case TrainCommand train:
                    return Train(train.Options, output, error, liveProgress);
                case SampleCommand sample:
                    return Sample(sample.Options, output);
                default:
                    throw new InvalidOperationException($"unhandled command {command}");
            }
        }
        catch (UsageException e)
        {
            error.WriteLine($"words: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            output.Flush();
            error.WriteLine($"words: error: {e.Message}");
            return ExitError;
        }
    }

    private static int Train(TrainerOptions options, TextWriter output, TextWriter error, bool liveProgress)
    {
        if (options.WordsPath == WordList.DefaultPath) WordList.EnsureDefault(output);
        WordList words = WordList.Load(options.WordsPath);
        var result = new Trainer(options, words, output, liveProgress).Run();
        if (result.Outcome == TrainOutcome.Diverged)
        {
            output.Flush();
            error.WriteLine($"words: stopped: {result.Error}");
            return ExitDiverged;
        }
        return ExitOk;
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
        return ExitOk;
    }
}
