using BenchmarkDotNet.Running;
using ModelGen.Bench;

// dotnet run -c Release --project bench/ModelGen.Bench -- --filter '*'     BenchmarkDotNet, every benchmark
// dotnet run -c Release --project bench/ModelGen.Bench -- products         GFLOP/s of the products and the FMA peak
if (args is ["products", ..])
{
    Products.Run(args[1..]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
