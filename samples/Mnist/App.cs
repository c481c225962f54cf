using System;
using System.Collections.Generic;
using System.IO;

namespace ModelGen.Samples.Mnist;

/// <summary>The command-line application: parses, loads the data, runs the command, and maps outcomes to exit codes.</summary>
public static class App
{
    /// <summary>Runs the command in <paramref name="args"/>; returns the exit code, one of <see cref="CommandLineApp"/>'s.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool liveProgress)
        => CommandLineApp.Run(CommandLine.Program, () => CommandLine.Parse(args), command => command switch
        {
            TrainCommand train => Train(train.Options, output, error, liveProgress),
            EvalCommand eval => Eval(eval.Options, output),
            _ => throw new InvalidOperationException($"unhandled command {command}"),
        }, output, error);

    private static int Train(TrainerOptions options, TextWriter output, TextWriter error, bool liveProgress)
    {
        options = Trainer.ResolveResume(options, out var notes);
        foreach (string note in notes) output.WriteLine($"note: {note}");
        MnistData data = DataSource.Load(options.Dataset, options.DataDirectory, options.CacheDirectory, output);
        var result = new Trainer(options, data, output, liveProgress).Run();
        return CommandLineApp.ExitCodeOf(CommandLine.Program, result, output, error);
    }

    private static int Eval(EvalOptions options, TextWriter output)
    {
        if (!File.Exists(options.Weights)) throw new FileNotFoundException($"--weights: there is no file {options.Weights}.", options.Weights);
        DatasetKind kind = options.Dataset ?? DatasetOf(options.Weights);
        MnistData data = DataSource.Load(kind, options.DataDirectory, options.CacheDirectory, output).Take(0, options.Limit);
        Evaluator.Run(options.Weights, data, output);
        return CommandLineApp.ExitOk;
    }

    // The data set a weights file names in its metadata, else MNIST.
    private static DatasetKind DatasetOf(string path)
    {
        var file = ModelGen.IO.SafeTensors.Load(path);
        return file.Metadata.TryGetValue("dataset", out string? name) && MnistData.TryParseName(name, out DatasetKind kind) ? kind : DatasetKind.Mnist;
    }
}
