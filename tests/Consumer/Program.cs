using Consumer;
using ModelGen;
using ModelGen.IO;

// Trains two ModelGen models on synthetic data (four Gaussian clusters in 16 dimensions) and prints the loss.
// The last line per model, "<name>: loss FIRST -> LAST ...", is what .ci/package.sh checks: finite and falling.

const int Steps = 60;
var data = ClusterData.Create(rows: 512, features: 16, classes: 4, seed: 7);

Report("mlp", new MlpClassifier(seed: 1), data, Steps);
Report("normed", new NormedClassifier(seed: 2), data, Steps);

// A saved checkpoint loads back into a new model with the same predictions.
var trained = new MlpClassifier(seed: 3);
Train(trained, data, Steps);
string path = Path.Combine(Path.GetTempPath(), $"consumer-{Environment.ProcessId}.safetensors");
Checkpoint.SaveWeights(path, trained);
var loaded = new MlpClassifier(seed: 4);
Checkpoint.LoadWeights(path, loaded);
File.Delete(path);
int agree = CountAgreement(trained, loaded, data);
Print($"checkpoint: {trained.ParameterTable.Count} tensors ({trained.ParameterTable[0].Name}, …), {agree} of {MlpClassifier.BatchSize} predictions agree after reload");
return agree == MlpClassifier.BatchSize ? 0 : 1;

static void Report(string name, IModel<float> model, ClusterData data, int steps)
{
    var (first, last) = Train(model, data, steps);
    model.Eval();
    int correct = 0;
    for (int start = 0; start < data.Rows; start += model.BatchSize)
    {
        int rows = Math.Min(model.BatchSize, data.Rows - start);
        correct += model.CountCorrect(data.Batch(start, rows), data.Targets(start, rows), rows);
    }
    Print($"{name}: loss {first:F5} -> {last:F5} over {steps} steps, {model.ParameterTable.Count} tensors, accuracy {100.0 * correct / data.Rows:F1}%");
}

static (float First, float Last) Train(IModel<float> model, ClusterData data, int steps)
{
    var optimizer = new AdamW(learningRate: 3e-3f);
    float first = float.NaN, last = float.NaN;
    for (int step = 0; step < steps; step++)
    {
        int start = step * model.BatchSize % data.Rows;
        last = model.TrainStep(data.Batch(start, model.BatchSize), data.Targets(start, model.BatchSize), model.BatchSize, optimizer);
        if (step == 0)
        {
            first = last;
        }
    }
    return (first, last);
}

static int CountAgreement(MlpClassifier a, MlpClassifier b, ClusterData data)
{
    a.Eval();
    b.Eval();
    Span<int> fromA = stackalloc int[MlpClassifier.BatchSize];
    Span<int> fromB = stackalloc int[MlpClassifier.BatchSize];
    a.Predict(data.Batch(0, MlpClassifier.BatchSize), MlpClassifier.BatchSize, fromA);
    b.Predict(data.Batch(0, MlpClassifier.BatchSize), MlpClassifier.BatchSize, fromB);
    int agree = 0;
    for (int i = 0; i < fromA.Length; i++)
    {
        agree += fromA[i] == fromB[i] ? 1 : 0;
    }
    return agree;
}

static void Print(FormattableString line) => Console.WriteLine(FormattableString.Invariant(line));
