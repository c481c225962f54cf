using System;
using ModelGen.Samples.Mnist;

var model = new MnistClassifier(seed: 0);
Console.WriteLine($"{MnistClassifier.ParameterCount} parameters");
