using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Generator;

// What the generator costs an IDE: a compilation of the MNIST sample's sources (samples/Mnist/*.cs), a first
// generator run, then the edits an IDE feeds it on each keystroke: an edit in an unrelated file, a new member in the
// model class, and a changed width. Each scenario runs `Repeats` times on a warmed-up process; the table gives the
// median and the fastest of GeneratorDriver.GetTimingInfo() and what the emitter did (its output steps' reasons).
const int Repeats = 25;
string root = FindRoot();
string[] files = Directory.GetFiles(Path.Combine(root, "samples", "Mnist"), "*.cs").Order(StringComparer.Ordinal).ToArray();
var parse = new CSharpParseOptions(LanguageVersion.Preview);
var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f)).ToArray();
var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
    .Append(typeof(ModelGen.ModelAttribute).Assembly.Location)
    .Distinct().Select(p => MetadataReference.CreateFromFile(p)).ToArray();
var compilation = CSharpCompilation.Create("Mnist", trees, references,
    new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

var model = trees.Single(t => t.FilePath.EndsWith("MnistClassifier.cs", StringComparison.Ordinal));
var unrelated = trees.Single(t => t.FilePath.EndsWith("Trainer.cs", StringComparison.Ordinal));
Console.WriteLine($"{files.Length} files, {trees.Sum(t => t.Length)} characters; {Repeats} runs per scenario, after warm-up");
Console.WriteLine();
Console.WriteLine("| scenario | median | fastest | emitter outputs |");
Console.WriteLine("|---|---|---|---|");

// The very first run of the process includes JIT-compiling the generator.
var first = NewDriver().RunGenerators(compilation);
Report("first run in a new process (JIT-compiles Roslyn and the generator)", [first.GetTimingInfo().ElapsedTime], Reasons(first));

// Clone(): a new compilation with the same trees, as an IDE makes on every change, without the old one's caches.
Measure("first run (new driver, warm process)", _ => (NewDriver(), compilation.Clone()));
Measure("no edit (second run, new compilation)", _ => (NewDriver().RunGenerators(compilation), compilation.Clone()));
Measure("edit in an unrelated file (Trainer.cs)", i => (NewDriver().RunGenerators(compilation),
    Edit(compilation, unrelated, unrelated.ToString() + $"\n// edit {i}\nstatic class Edit{i} {{ public static int X => {i}; }}\n")));
Measure("new member in the model class", i => (NewDriver().RunGenerators(compilation),
    Edit(compilation, model, model.ToString().Replace("    public partial ClassificationHead Head { get; }",
        $"    public partial ClassificationHead Head {{ get; }}\n    public int Extra{i}() => {i};", StringComparison.Ordinal))));
Measure("changed width (HiddenDim 256 → 128)", i => (NewDriver().RunGenerators(compilation),
    Edit(compilation, model, model.ToString().Replace("HiddenDim = 256", "HiddenDim = 128", StringComparison.Ordinal))));
return;

GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
    [new ModelGenerator().AsSourceGenerator()], parseOptions: parse,
    driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

void Measure(string scenario, Func<int, (GeneratorDriver Driver, Compilation Input)> setUp)
{
    var times = new List<TimeSpan>();
    string reasons = "";
    for (int i = 0; i < Repeats; i++)
    {
        var (driver, input) = setUp(i);
        driver = driver.RunGenerators(input);
        times.Add(driver.GetTimingInfo().ElapsedTime);
        reasons = Reasons(driver);
    }
    Report(scenario, times, reasons);
}

static void Report(string scenario, IReadOnlyList<TimeSpan> times, string reasons)
{
    var sorted = times.Order().ToArray();
    Console.WriteLine($"| {scenario} | {Ms(sorted[sorted.Length / 2])} | {Ms(sorted[0])} | {reasons} |");
}

static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:F2} ms";

// The emitter's RegisterSourceOutput steps: New or Modified means it ran, Cached or Unchanged that it did not.
static string Reasons(GeneratorDriver driver)
{
    var outputs = driver.GetRunResult().Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs);
    return string.Join(", ", outputs.GroupBy(o => o.Reason).Select(g => $"{g.Count()} {g.Key}"));
}

static Compilation Edit(Compilation compilation, SyntaxTree tree, string text)
    => compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(text, (CSharpParseOptions)tree.Options, tree.FilePath));

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "ModelGen.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("Run from inside the ModelGen repository (no ModelGen.sln above " + AppContext.BaseDirectory + ").");
}
