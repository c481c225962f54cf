using BenchmarkDotNet.Running;
using ModelGen.Bench;

// dotnet run -c Release --project bench/ModelGen.Bench -- --filter '*'     BenchmarkDotNet, every benchmark
// dotnet run -c Release --project bench/ModelGen.Bench -- products         GFLOP/s of the products and the FMA peak
// dotnet run -c Release --project bench/ModelGen.Bench -- latency          batch-1 inference latency, 1 and 2 threads
// dotnet run -c Release --project bench/ModelGen.Bench -- profile          where a training step's time goes, call by call
switch (args)
{
    case ["products", ..]:
        Products.Run();
        return;
    case ["latency", ..]:
        Latency.Run();
        return;
    case ["profile", ..]:
        StepProfile.RunAsTheTrainer(args);
        return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
