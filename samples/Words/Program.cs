using System;
using ModelGen.Samples.Words;

// words [train] [options] | words sample --weights FILE [options] | words --help. Exit codes: 0 done, 1 an error,
// 2 a bad command line, 3 the loss diverged.
return App.Run(args, Console.Out, Console.Error, liveProgress: !Console.IsOutputRedirected);
