using System;
using ModelGen.Samples.Mnist;

// mnist [train] [options] | mnist eval --weights FILE [options] | mnist --help. Exit codes: 0 done, 1 an error,
// 2 a bad command line, 3 the loss diverged.
return App.Run(args, Console.Out, Console.Error, liveProgress: !Console.IsOutputRedirected);
