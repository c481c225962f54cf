using System;
using System.Diagnostics;
using System.IO;

namespace ModelGen.Bench;

/// <summary>
/// Runs a mode with tiered compilation off, as the MNIST trainer runs (samples/Mnist): in a process of its own when this
/// one has it on, as the benchmarks do (the loss's forward took 2.5-3.0 µs in tier-1 code against 1.4-1.6).
/// </summary>
internal static class AsTheTrainer
{
    public static void Run(string[] args, Action<string[]> mode)
    {
        if (Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") == "0")
        {
            mode(args);
            return;
        }
        string host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        // Started as `dotnet ModelGen.Bench.dll ...`, the host needs the program's path again.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(AsTheTrainer).Assembly.Location);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_TieredCompilation"] = "0";
        using var child = Process.Start(start)!;
        child.WaitForExit();
        Environment.ExitCode = child.ExitCode;
    }
}
