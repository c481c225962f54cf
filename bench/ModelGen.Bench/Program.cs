using BenchmarkDotNet.Running;
using ModelGen.Bench;

// dotnet run -c Release --project bench/ModelGen.Bench -- --filter '*'     BenchmarkDotNet, every benchmark
// dotnet run -c Release --project bench/ModelGen.Bench -- products         GFLOP/s of the products and the FMA peak
// dotnet run -c Release --project bench/ModelGen.Bench -- latency          batch-1 inference latency, 1 and 2 threads
// dotnet run -c Release --project bench/ModelGen.Bench -- profile          where a training step's time goes, call by call
// dotnet run -c Release --project bench/ModelGen.Bench -- train [ln|plain] [THREADS] [EPOCHS]
//                                                                          the training loop as PyTorch's reference runs it
switch (args)
{
    case ["products", ..]:
        Products.Run();
        return;
    case ["latency", ..]:
        Latency.Run();
        return;
    case ["profile", ..]:
        AsTheTrainer.Run(args, _ => StepProfile.Run());
        return;
    case ["train", ..]:
        AsTheTrainer.Run(args, TrainLoop.Run);
        return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
