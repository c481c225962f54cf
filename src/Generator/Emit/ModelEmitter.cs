using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Layers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Emit;

/// <summary>
/// Writes the generated half of a model class from its <see cref="ModelSpec"/> alone: arenas and tensor views,
/// the constructor (PyTorch's initialisations), the public API, and the forward and backward passes.
/// </summary>
internal static class ModelEmitter
{
    public const string GeneratorVersion = "1.0.0";

    private const string Span = "global::System.Span<float>";

    /// <summary>
    /// The model laid out: its plan, each layer's lowering, the logits and the softmax buffer.
    /// <see cref="Marks"/> holds, after the input and after each layer, how many parameters, activation buffers and
    /// activation-gradient buffers the plan held, so that each slot can be told apart by the layer that added it.
    /// </summary>
    internal sealed record Layout(
        ModelPlan Plan,
        List<(PropertySpec Property, Lowered Lowered)> Layers,
        List<(int Parameters, int Activations, int Gradients, int Derivatives)> Marks,
        Tensor Logits,
        BufferSlot Probs);

    /// <summary>Lowers every layer in declaration order into one plan: what <see cref="Emit"/> writes out.</summary>
    public static Layout Lay(ModelSpec model)
    {
        var plan = new ModelPlan();
        // The input is copied into the activation arena so backward can read it after the caller's span is gone.
        var input = model.TokenInput
            ? new Tensor("model_tokens", new[] { model.InputSize }, null, NeedsGrad: false)
            : InputTensor(plan, model);

        var layers = new List<(PropertySpec Property, Lowered Lowered)>();
        var marks = new List<(int Parameters, int Activations, int Gradients, int Derivatives)> { Mark(plan) };
        var x = input;
        foreach (var property in model.Properties)
        {
            var lowered = LayerLowering.Lower(property.Layer, plan, x);
            layers.Add((property, lowered));
            marks.Add(Mark(plan));
            x = lowered.Output;
        }
        var probs = plan.AddBuffer("probs", x.PerRow, ModelPlan.ShapeText(x.Shape));
        return new Layout(plan, layers, marks, x, probs);

        static (int, int, int, int) Mark(ModelPlan plan)
            => (plan.Parameters.Count, plan.Activations.Count, plan.ActivationGradients.Count, plan.Derivatives.Count);
    }

    /// <summary>
    /// The members every model class gets besides those named after its layers (parameter views, activation buffers
    /// and module fields, which <see cref="Lay"/> names) and the input, token and softmax buffers. A layer property
    /// with one of these names is MG0014, a hand-written member MG0015 (a method only when it also has the parameter
    /// list <see cref="FixedSignatures"/> gives) and a model class MG0013; keep this table in step with the writers below.
    /// </summary>
    public static IEnumerable<(string Name, GeneratedNameKind Kind)> FixedMembers(bool tokenInput, bool savesDerivatives, bool timesKernels = false, bool forwardRows = false)
    {
        if (timesKernels)
        {
            yield return ("s_kernelSites", GeneratedNameKind.Field);
            yield return (KernelTimesField, GeneratedNameKind.Field);
        }
        foreach (var name in new[] { "BatchSize", "InputSize", "OutputSize", "ClassCount", "TargetsPerRow", "ParameterCount",
                     "ActivationsPerRow", "ActivationGradientsPerRow", "OptimizerSlots" })
            yield return (name, GeneratedNameKind.Constant);
        if (savesDerivatives) yield return ("DerivativesPerRow", GeneratedNameKind.Constant);
        foreach (var name in new[] { "s_parameterTable", "_parameters", "_gradients", "_optimizerState", "_activations",
                     "_activationGradients", "_targets", "_random", "_training", "_lossRows" })
            yield return (name, GeneratedNameKind.Field);
        if (tokenInput) yield return ("_tokens", GeneratedNameKind.Field);
        if (savesDerivatives) yield return ("_derivatives", GeneratedNameKind.Field);
        foreach (var (name, _, _) in FixedProperties(timesKernels))
            yield return (name, GeneratedNameKind.Property);
        foreach (var name in new[] { "ParameterAt", "Train", "Eval", "GetParameter", "ZeroGrad", "Forward", "Loss", "Backward",
                     "Step", "TrainStep", "Predict", "CountCorrect", "LossCore", "ForwardCore", "BackwardCore" })
            yield return (name, GeneratedNameKind.Method);
        if (forwardRows) yield return ("ForwardRows", GeneratedNameKind.Method);
        if (tokenInput) yield return ("model_tokens", GeneratedNameKind.InputBuffer);
    }

    /// <summary>
    /// The properties in <see cref="FixedMembers"/> with their types, written as the compiler's fully qualified display
    /// format writes them, and whether each has a setter: C# reserves <c>set_P(T)</c> for each, so a hand-written method
    /// of that name and parameter type is MG0015 (otherwise CS0082 inside generated code), but only a setter the class
    /// declares is a member that the class may not be named like (MG0013). A timed model (<c>TimeKernels</c>) also has
    /// <c>KernelTimes</c> (<see cref="WriteKernelTimes"/>). Keep this table in step with <see cref="WriteApi"/>.
    /// </summary>
    public static IEnumerable<(string Name, string Type, bool HasSetter)> FixedProperties(bool timesKernels = false)
    {
        yield return ("IsTraining", "bool", false);
        yield return ("Parameters", Span, false);
        yield return ("Gradients", Span, false);
        yield return ("OptimizerState", Span, false);
        yield return ("ParameterTable", "global::System.Collections.Generic.IReadOnlyList<global::ModelGen.ParameterInfo>", false);
        yield return ("Random", "global::ModelGen.Rng", true);
        if (timesKernels) yield return ("KernelTimes", "global::ModelGen.KernelTimes", false);
    }

    /// <summary>
    /// The type of a view of an arena (<see cref="WriteViews"/>), which every property the generated code declares
    /// besides <see cref="FixedProperties"/> is, written as that table writes types.
    /// </summary>
    public static string ViewType(GeneratedNameKind kind, bool tokenInput) => kind switch
    {
        GeneratedNameKind.DerivativeBuffer => "global::System.Span<double>",
        GeneratedNameKind.InputBuffer when tokenInput => "global::System.Span<int>",
        _ => Span,
    };

    /// <summary>The name <see cref="FixedSignatures"/> gives the generated constructor, as Roslyn names constructors.</summary>
    public const string ConstructorName = ".ctor";

    /// <summary>
    /// The parameter types of every method in <see cref="FixedMembers"/> and of the constructor
    /// (<see cref="ConstructorName"/>), in order, written as the compiler's fully qualified display format writes them;
    /// every parameter is passed by value and no method is generic. A hand-written method of the model class with one
    /// of these names and this parameter list is MG0015 (otherwise CS0111 inside generated code); with any other list
    /// it is a legal overload. Keep this table in step with <see cref="WriteApi"/> and the writers it sits among.
    /// </summary>
    public static IEnumerable<(string Name, string[] Parameters)> FixedSignatures(bool tokenInput)
    {
        string input = tokenInput ? "global::System.ReadOnlySpan<int>" : "global::System.ReadOnlySpan<float>";
        const string Targets = "global::System.ReadOnlySpan<int>";
        const string Optimizer = "global::ModelGen.Optimizer";
        yield return (ConstructorName, ["int"]);
        yield return ("ParameterAt", ["int"]);
        yield return ("Train", []);
        yield return ("Eval", []);
        yield return ("GetParameter", ["string"]);
        yield return ("ZeroGrad", []);
        yield return ("Forward", [input, "int", "global::System.Span<float>"]);
        yield return ("Loss", [input, Targets, "int"]);
        yield return ("Backward", []);
        yield return ("Step", [Optimizer]);
        yield return ("TrainStep", [input, Targets, "int", Optimizer]);
        yield return ("Predict", [input, "int", "global::System.Span<int>"]);
        yield return ("CountCorrect", [input, Targets, "int"]);
        yield return ("LossCore", [input, Targets, "int"]);
        yield return ("ForwardCore", [input, "int"]);
        yield return ("BackwardCore", [input, "int", "bool"]);
        yield return ("ForwardRows", ["int", "int", "int"]);
    }

    /// <summary>The interface whose <see cref="ExplicitImplementations"/> the generated code implements explicitly.</summary>
    public const string ExplicitInterface = "ModelGen.IModel";

    /// <summary>
    /// The members of <see cref="ExplicitInterface"/> the generated code implements explicitly, each returning the
    /// constant of its name (a constant cannot implement a property). A hand-written explicit implementation of one is
    /// MG0015 (CS0102 inside generated code). Every other member of <c>IModel</c> and <c>IModel&lt;T&gt;</c> is
    /// implemented by the public member of its name, so a hand-written explicit implementation of it is legal C#: it
    /// takes the calls made through the interface.
    /// </summary>
    public static readonly ImmutableArray<string> ExplicitImplementations =
        ImmutableArray.Create("BatchSize", "InputSize", "OutputSize", "ClassCount", "TargetsPerRow");

    public static string Emit(ModelSpec model)
    {
        var layout = Lay(model);
        var plan = layout.Plan;
        var layers = layout.Layers;
        var logits = layout.Logits;
        var probs = layout.Probs;
        string elementType = model.TokenInput ? "int" : "float";
        int classes = logits.Last;
        int targetsPerRow = logits.PerRow / classes;

        var writer = new IndentedTextWriter();
        writer.WriteLine("// <auto-generated/>");
        writer.WriteLine("// Generated by ModelGen from the layer attributes of " + model.ClassName + ". Do not edit: change the attributes.");
        writer.WriteLine("#nullable enable");
        writer.WriteLine();
        if (model.Namespace is not null) writer.WriteLine($"namespace {model.Namespace};");
        writer.WriteLine();
        writer.WriteLine($"[global::System.CodeDom.Compiler.GeneratedCode(\"ModelGen\", \"{GeneratorVersion}\")]");
        using (writer.WriteBlock($"{model.Accessibility} partial class {ModelPlan.Identifier(model.ClassName)} : global::ModelGen.IModel<{elementType}>"))
        {
            WriteConstants(writer, model, plan, classes, targetsPerRow);
            WriteParameterTable(writer, plan);
            WriteFields(writer, model, plan, layers);
            WriteConstructor(writer, model, plan, layers);
            WriteViews(writer, model, plan);
            WriteProperties(writer, layers);
            // With TimeKernels, the passes are written first so that their call sites are numbered in the order they
            // run: the forward's, the loss's, the backward's, then the optimizer step's.
            var sites = model.TimeKernels ? new List<string>() : null;
            string forward = Timed(ForwardBody(model, plan, layers, out var forwardParts), sites);
            int lossSite = Site(sites, "cross-entropy · CrossEntropyForward");
            string backward = Timed(BackwardBody(layers, logits, probs.Member), sites);
            int stepSite = Site(sites, "optimizer · Step");
            WriteApi(writer, model, plan, elementType, logits, probs.Member, lossSite, stepSite);
            WriteForward(writer, model, forward);
            WriteRowParts(writer, plan, "ForwardRows", "forward pass", forwardParts);
            WriteBackward(writer, model, backward);
            if (sites is not null) WriteKernelTimes(writer, sites);
        }
        return writer.ToString();
    }

    private const string KernelTimesField = "_kernelTimes";

    /// <summary>What runs a pass's row-wise layers in row blocks; a timed model times each run as one call site.</summary>
    private const string RowBlocks = "global::ModelGen.KernelThreads";

    /// <summary>Adds a call site and returns its index, or -1 when the model is not timed.</summary>
    private static int Site(List<string>? sites, string name)
    {
        if (sites is null) return -1;
        sites.Add(name);
        return sites.Count - 1;
    }

    /// <summary>
    /// A pass's body as written, or, for a timed model, with <c>_kernelTimes.Start()</c> first and a mark after every
    /// kernel call, each call site named after the layer in the comment above it and the method it calls
    /// (<c>body.layers.3 · LinearForward</c>).
    /// </summary>
    private static string Timed(string body, List<string>? sites)
    {
        if (sites is null) return body;
        var timed = new List<string> { KernelTimesField + ".Start();" };
        string layer = "";
        foreach (string line in body.Split('\n'))
        {
            timed.Add(line);
            string code = line.TrimStart();
            if (code.StartsWith("// ", System.StringComparison.Ordinal))
            {
                layer = Named(code);
                continue;
            }
            string? method = CalledKernel(code);
            if (method is null) continue;
            string indent = line.Substring(0, line.Length - code.Length);
            timed.Add($"{indent}{KernelTimesField}.Mark({Literal.Int(Site(sites, layer + " · " + method))});");
        }
        return string.Join("\n", timed);
    }

    // The method a statement line calls when it is one kernel call (Kernels.X(…); or TensorPrimitives.X(…);), else null.
    private static string? CalledKernel(string code)
    {
        foreach (string owner in new[] { Op.Kernels + ".", Op.TensorPrimitives + ".", RowBlocks + "." })
        {
            if (!code.StartsWith(owner, System.StringComparison.Ordinal) || !code.EndsWith(");", System.StringComparison.Ordinal)) continue;
            int open = code.IndexOf('(', owner.Length);
            return open > owner.Length ? code.Substring(owner.Length, open - owner.Length) : null;
        }
        return null;
    }

    private static void WriteKernelTimes(IndentedTextWriter w, List<string> sites)
    {
        w.WriteLine();
        w.WriteLine("/// <summary>The kernel call sites that <see cref=\"KernelTimes\"/> times, in the order they run.</summary>");
        w.WriteLine("private static readonly string[] s_kernelSites =");
        w.WriteLine("[");
        w.Indent();
        foreach (string site in sites) w.WriteLine($"\"{site.Replace("\\", "\\\\").Replace("\"", "\\\"")}\",");
        w.Unindent();
        w.WriteLine("];");
        w.WriteLine();
        w.WriteLine($"private readonly global::ModelGen.KernelTimes {KernelTimesField} = new(s_kernelSites);");
        w.WriteLine();
        w.WriteLine("/// <summary>The time of every kernel call of the passes and the optimizer step ([Model(TimeKernels = true)]).</summary>");
        w.WriteLine($"public global::ModelGen.KernelTimes KernelTimes => {KernelTimesField};");
    }

    /// <summary>
    /// The float input, which needs no gradient. Only a norm that reads it directly writes one anyway (its kernel
    /// always does), so only then is a scratch gradient buffer laid out.
    /// </summary>
    private static Tensor InputTensor(ModelPlan plan, ModelSpec model)
    {
        var shape = new[] { model.InputSize };
        var first = model.Properties[0].Layer;
        while (first is ResidualSpec residual) first = residual.Block[0];
        bool scratch = first is LayerNormSpec or RMSNormSpec;
        var tensor = scratch ? plan.AddTensor("model_input", shape) : plan.AddTensorSharingGrad("model_input", shape, null);
        return tensor with { NeedsGrad = false };
    }

    private static void WriteConstants(IndentedTextWriter w, ModelSpec model, ModelPlan plan, int classes, int targetsPerRow)
    {
        w.WriteLine("/// <summary>The batch capacity: a call takes 1 to this many rows.</summary>");
        w.WriteLine($"public const int BatchSize = {Literal.Int(model.BatchSize)};");
        w.WriteLine();
        w.WriteLine(model.TokenInput
            ? "/// <summary>Token ids per input row (the sequence length).</summary>"
            : "/// <summary>Floats per input row.</summary>");
        w.WriteLine($"public const int InputSize = {Literal.Int(model.InputSize)};");
        w.WriteLine();
        w.WriteLine("/// <summary>Output values (logits) per row.</summary>");
        w.WriteLine($"public const int OutputSize = {Literal.Int(classes * targetsPerRow)};");
        w.WriteLine();
        w.WriteLine("/// <summary>Classes: the size of the logits' last dimension.</summary>");
        w.WriteLine($"public const int ClassCount = {Literal.Int(classes)};");
        w.WriteLine();
        w.WriteLine("/// <summary>Class targets per row for the cross-entropy loss.</summary>");
        w.WriteLine($"public const int TargetsPerRow = {Literal.Int(targetsPerRow)};");
        w.WriteLine();
        w.WriteLine("/// <summary>Floats in the parameter arena (and in the gradient arena).</summary>");
        w.WriteLine($"public const int ParameterCount = {Literal.Grouped(plan.ParameterCount)};");
        w.WriteLine();
        w.WriteLine("// Activations (values saved for backward) and their gradients, in floats per batch row.");
        w.WriteLine($"private const int ActivationsPerRow = {Literal.Grouped(plan.ActivationsPerRow)};");
        w.WriteLine($"private const int ActivationGradientsPerRow = {Literal.Grouped(plan.GradientsPerRow)};");
        w.WriteLine();
        if (plan.Derivatives.Count > 0)
        {
            w.WriteLine("// Derivatives saved for backward (GELU's), in doubles per batch row.");
            w.WriteLine($"private const int DerivativesPerRow = {Literal.Grouped(plan.DerivativesPerRow)};");
            w.WriteLine();
        }
        w.WriteLine("// State slots per parameter the model keeps for an optimizer (AdamW needs two: exp_avg, exp_avg_sq).");
        w.WriteLine("private const int OptimizerSlots = 2;");
        w.WriteLine();
    }

    private static void WriteParameterTable(IndentedTextWriter w, ModelPlan plan)
    {
        w.WriteLine("// Every parameter: its PyTorch state_dict name, offset in the arena, and shape.");
        w.WriteLine("private static readonly global::ModelGen.ParameterInfo[] s_parameterTable =");
        w.WriteLine("[");
        w.Indent();
        int width = plan.Parameters.Select(p => p.TorchName.Length).DefaultIfEmpty(0).Max() + 4;
        foreach (var p in plan.Parameters)
        {
            string name = $"\"{p.TorchName}\",";
            string transposed = p.StoredTransposed ? " { StoredTransposed = true }" : "";
            w.WriteLine($"new({name.PadRight(width)} offset: {Literal.Grouped(p.Offset)}, {string.Join(", ", p.Shape.Select(Literal.Int))}){transposed},");
        }
        w.Unindent();
        w.WriteLine("];");
        w.WriteLine();
    }

    private static void WriteFields(IndentedTextWriter w, ModelSpec model, ModelPlan plan, List<(PropertySpec Property, Lowered Lowered)> layers)
    {
        w.WriteLine("// One allocation per arena, made once in the constructor and aligned to a cache line; nothing allocates after that.");
        w.WriteLine("private readonly global::ModelGen.Arena<float> _parameters = new(ParameterCount);");
        w.WriteLine("private readonly global::ModelGen.Arena<float> _gradients = new(ParameterCount);");
        w.WriteLine("private readonly global::ModelGen.Arena<float> _optimizerState = new(OptimizerSlots * ParameterCount);");
        w.WriteLine("private readonly global::ModelGen.Arena<float> _activations = new(BatchSize * ActivationsPerRow);");
        w.WriteLine("private readonly global::ModelGen.Arena<float> _activationGradients = new(BatchSize * ActivationGradientsPerRow);");
        w.WriteLine("private readonly int[] _targets = new int[BatchSize * TargetsPerRow];");
        if (model.TokenInput) w.WriteLine("private readonly int[] _tokens = new int[BatchSize * InputSize];");
        if (plan.Derivatives.Count > 0) w.WriteLine("private readonly global::ModelGen.Arena<double> _derivatives = new(BatchSize * DerivativesPerRow);");
        w.WriteLine();
        w.WriteLine("private global::ModelGen.Rng _random;");
        w.WriteLine("private bool _training = true;");
        w.WriteLine("private int _lossRows; // rows of the last Loss call, 0 when there is nothing to back-propagate");
        w.WriteLine();
        foreach (var (property, _) in layers)
            w.WriteLine($"private readonly global::ModelGen.{property.Layer.ModuleType} {ModuleField(property)};");
        w.WriteLine();
    }

    private static void WriteConstructor(IndentedTextWriter w, ModelSpec model, ModelPlan plan, List<(PropertySpec Property, Lowered Lowered)> layers)
    {
        w.WriteLine("/// <summary>Creates the model with PyTorch's default initialisation drawn from <paramref name=\"seed\"/>; it starts in train mode.</summary>");
        using (w.WriteBlock($"public {ModelPlan.Identifier(model.ClassName)}(int seed = 0)"))
        {
            w.WriteLine("var random = new global::ModelGen.Rng(unchecked((ulong)seed));");
            foreach (var p in plan.Parameters)
            {
                w.WriteLine(p.Init.Replace("{0}", p.Member));
                // Drawn in PyTorch's order, so a seed gives the same weights whatever the layout.
                if (p.StoredTransposed) w.WriteLine($"global::ModelGen.Init.Transpose({p.Member}, rows: {Literal.Int(p.Shape[0])}, columns: {Literal.Int(p.Shape[1])}); // kept as ({p.Shape[1]}, {p.Shape[0]})");
            }
            w.WriteLine("// Dropout masks continue the same stream, so one seed fixes the whole run.");
            w.WriteLine("_random = random;");
            w.WriteLine();
            foreach (var (property, lowered) in layers)
                w.WriteLine($"{ModuleField(property)} = {lowered.Module};");
        }
        w.WriteLine();
    }

    private static void WriteViews(IndentedTextWriter w, ModelSpec model, ModelPlan plan)
    {
        w.WriteLine("// Parameter views (value and gradient), constant slices of the arenas.");
        foreach (var p in plan.Parameters)
        {
            w.WriteLine($"private {Span} {p.Member} => _parameters.Slice({Literal.Grouped(p.Offset)}, {Literal.Grouped(p.Length)}); // {p.StorageText}");
            w.WriteLine($"private {Span} {GradientView(p)} => _gradients.Slice({Literal.Grouped(p.Offset)}, {Literal.Grouped(p.Length)});");
        }
        w.WriteLine();
        w.WriteLine("// Activation views, sized for the full batch; a call uses the first rows of each.");
        if (model.TokenInput) w.WriteLine("private global::System.Span<int> model_tokens => _tokens; // (B, " + Literal.Int(model.InputSize) + ") token ids");
        foreach (var b in plan.Activations)
            w.WriteLine($"private {Span} {b.Member} => _activations.Slice(BatchSize * {Literal.Grouped(b.Offset)}, BatchSize * {Literal.Grouped(b.PerRow)}); // {b.ShapeText}");
        w.WriteLine();
        w.WriteLine("// Gradients of the activations.");
        foreach (var b in plan.ActivationGradients)
            w.WriteLine($"private {Span} {b.Member} => _activationGradients.Slice(BatchSize * {Literal.Grouped(b.Offset)}, BatchSize * {Literal.Grouped(b.PerRow)}); // {b.ShapeText}");
        w.WriteLine();
        if (plan.Derivatives.Count == 0) return;
        w.WriteLine("// Derivatives saved by the forward for the backward.");
        foreach (var b in plan.Derivatives)
            w.WriteLine($"private global::System.Span<double> {b.Member} => _derivatives.Slice(BatchSize * {Literal.Grouped(b.Offset)}, BatchSize * {Literal.Grouped(b.PerRow)}); // {b.ShapeText}");
        w.WriteLine();
    }

    private static void WriteProperties(IndentedTextWriter w, List<(PropertySpec Property, Lowered Lowered)> layers)
    {
        foreach (var (property, _) in layers)
        {
            w.WriteLine($"{property.Accessibility} partial global::ModelGen.{property.Layer.ModuleType} {ModelPlan.Identifier(property.PropertyName)} {{ get => {ModuleField(property)}; }}");
        }
        w.WriteLine();
        w.WriteLine("private global::ModelGen.Parameter ParameterAt(int index) => new(s_parameterTable[index], _parameters.Memory, _gradients.Memory);");
        w.WriteLine();
    }

    private static void WriteApi(IndentedTextWriter w, ModelSpec model, ModelPlan plan, string elementType, Tensor logits, string probs, int lossSite, int stepSite)
    {
        string example = Escape(plan.Parameters.Count > 0 ? plan.Parameters[0].TorchName : "head.fc.weight");
        string input = model.TokenInput ? "model_tokens" : "model_input";
        // `this.`: the last layer's buffer is named after its property, and one named Output or Input would
        // otherwise be shadowed by the method's parameter of that name (Forward would copy output onto itself).
        string logitsMember = "this." + logits.Value;
        string inSpan = $"global::System.ReadOnlySpan<{elementType}>";
        const string Guard = "global::ModelGen.ModelGuard";
        foreach (string constant in ExplicitImplementations) w.WriteLine($"int global::{ExplicitInterface}.{constant} => {constant};");
        // A timed model's Step times the optimizer's step, and its LossCore marks the cross-entropy forward.
        bool timed = stepSite >= 0;
        string startStep = timed ? $"{KernelTimesField}.Start();\n    " : "";
        string markStep = timed ? $"\n    {KernelTimesField}.Mark({Literal.Int(stepSite)});" : "";
        string lossResult = timed ? "float loss = " : "return ";
        string markLoss = timed ? $"\n    {KernelTimesField}.Mark({Literal.Int(lossSite)});\n    return loss;" : "";
        w.WriteLine($$"""

            /// <inheritdoc/>
            public bool IsTraining => _training;

            /// <inheritdoc/>
            public void Train() => _training = true;

            /// <inheritdoc/>
            public void Eval() => _training = false;

            /// <inheritdoc/>
            public global::System.Span<float> Parameters => _parameters.Span;

            /// <inheritdoc/>
            public global::System.Span<float> Gradients => _gradients.Span;

            /// <inheritdoc/>
            public global::System.Span<float> OptimizerState => _optimizerState.Span;

            /// <inheritdoc/>
            public global::System.Collections.Generic.IReadOnlyList<global::ModelGen.ParameterInfo> ParameterTable => s_parameterTable;

            /// <inheritdoc/>
            public global::ModelGen.Rng Random { get => _random; set => _random = value; }

            /// <summary>The parameter with this PyTorch name, for example <c>{{example}}</c>.</summary>
            public global::ModelGen.Parameter GetParameter(string name) => ParameterAt({{Guard}}.IndexOf(s_parameterTable, name));

            /// <inheritdoc/>
            public void ZeroGrad() => global::ModelGen.Kernels.Clear(_gradients.Span);

            /// <inheritdoc/>
            public void Forward({{inSpan}} input, int rows, global::System.Span<float> output)
            {
                {{Guard}}.Rows(rows, BatchSize);
                {{Guard}}.Length(input, rows * InputSize, nameof(input), rows, "values per row", InputSize);
                {{Guard}}.Length(output, rows * OutputSize, nameof(output), rows, "outputs per row", OutputSize);
                _lossRows = 0;
                ForwardCore(input, rows);
                {{logitsMember}}[..(rows * OutputSize)].CopyTo(output);
            }

            /// <inheritdoc/>
            public float Loss({{inSpan}} input, global::System.ReadOnlySpan<int> targets, int rows)
            {
                float loss = LossCore(input, targets, rows);
                // Backward, a later call, reads the input again: Loss keeps a copy of it.
                input.CopyTo({{input}});
                _lossRows = rows;
                return loss;
            }

            /// <inheritdoc/>
            public void Backward()
            {
                int rows = _lossRows;
                if (rows == 0) throw new global::System.InvalidOperationException("Backward needs a Loss call first, with no Forward, TrainStep, Predict or CountCorrect in between.");
                BackwardCore({{input}}, rows, accumulate: true);
            }

            /// <inheritdoc/>
            public void Step(global::ModelGen.Optimizer optimizer)
            {
                int slots = {{Guard}}.OptimizerSlots(optimizer, OptimizerSlots);
                {{startStep}}optimizer.Step(_parameters.Span, _gradients.Span, _optimizerState.Slice(0, slots * ParameterCount), s_parameterTable);{{markStep}}
            }

            /// <inheritdoc/>
            /// <remarks>
            /// ZeroGrad, Loss, Backward and Step, with the same results bit for bit, except that the passes read
            /// <paramref name="input"/> where it is instead of a copy (so no Backward call can follow this one) and the
            /// backward writes the gradients instead of adding them into zeros.
            /// </remarks>
            public float TrainStep({{inSpan}} input, global::System.ReadOnlySpan<int> targets, int rows, global::ModelGen.Optimizer optimizer)
            {
                float loss = LossCore(input, targets, rows);
                BackwardCore(input, rows, accumulate: false);
                Step(optimizer);
                return loss;
            }

            /// <inheritdoc/>
            public void Predict({{inSpan}} input, int rows, global::System.Span<int> predictions)
            {
                {{Guard}}.Rows(rows, BatchSize);
                {{Guard}}.Length(input, rows * InputSize, nameof(input), rows, "values per row", InputSize);
                {{Guard}}.Length(predictions, rows * TargetsPerRow, nameof(predictions), rows, "predictions per row", TargetsPerRow);
                _lossRows = 0;
                ForwardCore(input, rows);
                global::System.Span<float> logits = {{logitsMember}};
                for (int i = 0; i < rows * TargetsPerRow; i++)
                    predictions[i] = global::ModelGen.Kernels.ArgMax(logits.Slice(i * ClassCount, ClassCount));
            }

            /// <inheritdoc/>
            public int CountCorrect({{inSpan}} input, global::System.ReadOnlySpan<int> targets, int rows)
            {
                {{Guard}}.Rows(rows, BatchSize);
                {{Guard}}.Length(input, rows * InputSize, nameof(input), rows, "values per row", InputSize);
                {{Guard}}.Targets(targets, rows * TargetsPerRow, ClassCount);
                _lossRows = 0;
                ForwardCore(input, rows);
                global::System.Span<float> logits = {{logitsMember}};
                int correct = 0;
                for (int i = 0; i < rows * TargetsPerRow; i++)
                {
                    if (global::ModelGen.Kernels.ArgMax(logits.Slice(i * ClassCount, ClassCount)) == targets[i]) correct++;
                }
                return correct;
            }

            /// <summary>
            /// The checks of <c>Loss</c>, the forward pass on <paramref name="input"/> where it is, and the mean
            /// cross-entropy; keeps the targets and the softmax for the backward.
            /// </summary>
            private float LossCore({{inSpan}} input, global::System.ReadOnlySpan<int> targets, int rows)
            {
                {{Guard}}.Rows(rows, BatchSize);
                {{Guard}}.Length(input, rows * InputSize, nameof(input), rows, "values per row", InputSize);
                {{Guard}}.Length(targets, rows * TargetsPerRow, nameof(targets), rows, "targets per row", TargetsPerRow);
                _lossRows = 0;
                targets.CopyTo(_targets);
                ForwardCore(input, rows);
                // Mean over every target position of -log_softmax(logits)[target].
                {{lossResult}}global::ModelGen.Kernels.CrossEntropyForward({{probs}}, {{logitsMember}}, new global::System.Span<int>(_targets, 0, rows * TargetsPerRow), rows * TargetsPerRow, ClassCount);{{markLoss}}
            }

            """);
    }

    private static string Escape(string text) => text.Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>
    /// The forward pass's body, and the runs of row-wise layers it hands to <c>KernelThreads.ForRowBlocks</c>, one
    /// part each of <c>ForwardRows</c> (none when no two row-wise layers follow each other).
    /// </summary>
    private static string ForwardBody(ModelSpec model, ModelPlan plan, List<(PropertySpec Property, Lowered Lowered)> layers, out List<RowPart> parts)
    {
        var steps = new List<Step>();
        string input = model.TokenInput ? "model_tokens" : "model_input";
        foreach (var (_, lowered) in layers) AddSteps(lowered.Op, steps, input, first: steps.Count == 0);
        var w = new IndentedTextWriter();
        var found = new List<RowPart>();
        parts = found;
        var run = new List<Step>();
        var pending = new List<Step>(); // the headers and blank lines since the last op, which introduce the next one
        foreach (var step in steps)
        {
            if (!step.IsOp)
            {
                pending.Add(step);
                continue;
            }
            if (step.RowWise)
            {
                run.AddRange(pending);
                run.Add(step);
            }
            else
            {
                Flush();
                foreach (var p in pending) Write(w, p.Text);
                Write(w, step.Text);
            }
            pending.Clear();
        }
        Flush();
        foreach (var p in pending) Write(w, p.Text);
        return w.ToString().TrimEnd('\n');

        // A run of two or more row-wise layers goes through the batch in row blocks; a lone one is written in place.
        void Flush()
        {
            int ops = run.Count(step => step.IsOp);
            if (ops >= 2)
            {
                var part = new RowPart(found.Count, run.First(step => step.IsOp).Layer, run.Last(step => step.IsOp).Layer,
                    string.Concat(run.SkipWhile(step => !step.IsOp).Select(step => step.Text)));
                found.Add(part);
                // The headers of the run stay with its call, so that the layers it holds can be read where they run.
                foreach (var step in run.TakeWhile(step => !step.IsOp)) Write(w, step.Text);
                w.WriteLine($"// {part.First} to {part.Last}: row-wise, so each thread takes its own rows through all of them (ForwardRows, part {Literal.Int(part.Index)})");
                w.WriteLine($"{RowBlocks}.ForRowBlocks(rows, this, static (model, first, rows) => model.ForwardRows({Literal.Int(part.Index)}, first, rows));");
            }
            else
            {
                foreach (var step in run) Write(w, step.Text);
            }
            run.Clear();
        }
    }

    /// <summary>Whether the forward pass of a model laid out so has a run of row-wise layers (and so a <c>ForwardRows</c> method).</summary>
    public static bool HasForwardRows(ModelSpec model, Layout layout)
    {
        ForwardBody(model, layout.Plan, layout.Layers, out var parts);
        return parts.Count > 0;
    }

    /// <summary>One line of a pass, or one layer's lines: a layer is row-wise when it may run in row blocks.</summary>
    private readonly record struct Step(string Text, bool IsOp, bool RowWise, string Layer);

    /// <summary>A run of row-wise layers, from the layer named <see cref="First"/> to <see cref="Last"/>, as its lines read.</summary>
    internal sealed record RowPart(int Index, string First, string Last, string Body);

    // A sequence's children are steps of their own (a run may start inside an MLP and go on into the next layer),
    // after its header line; every other op is one step. A layer that reads the model's input is not row-wise here.
    private static void AddSteps(Op op, List<Step> steps, string input, bool first)
    {
        if (!first && steps.Count > 0) steps.Add(new Step("\n", IsOp: false, RowWise: true, Layer: ""));
        if (op is SequenceOp sequence)
        {
            steps.Add(new Step($"// {sequence.Comment}\n", IsOp: false, RowWise: true, Layer: ""));
            foreach (var child in sequence.Children) AddSteps(child, steps, input, first: true);
            return;
        }
        var w = new IndentedTextWriter();
        op.EmitForward(w);
        string text = w.ToString();
        steps.Add(new Step(text, IsOp: true, RowWise: op.RowWiseForward && !Mentions(text, input), Layer: LayerOf(text)));
    }

    // The layer an op's lines name in their first comment, or "" when they start with none.
    private static string LayerOf(string text)
        => text.StartsWith("// ", System.StringComparison.Ordinal) ? Named(text.Split('\n')[0]) : "";

    // What a comment line names: "// body.layers.3: Linear(256 → 256), …" → body.layers.3; a line without a colon, all of it.
    private static string Named(string comment)
    {
        int colon = comment.IndexOf(':');
        return colon > 3 ? comment.Substring(3, colon - 3) : comment.Substring(3);
    }

    private static bool Mentions(string text, string identifier)
        => System.Text.RegularExpressions.Regex.IsMatch(text, @"(?<![\w@])" + System.Text.RegularExpressions.Regex.Escape(identifier) + @"(?!\w)");

    private static void Write(IndentedTextWriter w, string text)
    {
        if (text == "\n")
        {
            w.WriteLine();
            return;
        }
        foreach (string line in text.TrimEnd('\n').Split('\n')) w.WriteLine(line);
    }

    /// <summary>
    /// <c>ForwardRows</c>: each run of row-wise layers as a part, over rows [first, first + rows) of the batch. The
    /// views of the arenas that a part's layers use are declared first as that block of rows of them, under the same
    /// names, so the layers' lines read as they do in the forward pass.
    /// </summary>
    private static void WriteRowParts(IndentedTextWriter w, ModelPlan plan, string name, string pass, List<RowPart> parts)
    {
        if (parts.Count == 0) return;
        w.WriteLine($"/// <summary>The runs of row-wise layers in the {pass}, each for the rows [first, first + rows) of the batch that one thread takes (KernelThreads.ForRowBlocks).</summary>");
        w.WriteLine($"/// <param name=\"part\">Which run: {string.Join("; ", parts.Select(p => $"{Literal.Int(p.Index)}, {p.First} to {p.Last}"))}.</param>");
        w.WriteLine("/// <param name=\"first\">The block's first row.</param>");
        w.WriteLine("/// <param name=\"rows\">The block's rows.</param>");
        using (w.WriteBlock($"private void {name}(int part, int first, int rows)"))
        {
            if (parts.Count == 1)
            {
                WritePart(parts[0]);
            }
            else
            {
                using (w.WriteBlock("switch (part)"))
                {
                    foreach (var part in parts)
                    {
                        using (w.WriteBlock($"case {Literal.Int(part.Index)}:"))
                        {
                            WritePart(part);
                            w.WriteLine("break;");
                        }
                    }
                }
            }
        }

        void WritePart(RowPart part)
        {
            w.WriteLine("// This block's rows of each view the layers use.");
            foreach (var (buffer, type) in plan.Activations.Select(b => (b, "float")).Concat(plan.ActivationGradients.Select(b => (b, "float"))).Concat(plan.Derivatives.Select(b => (b, "double"))))
            {
                if (!Mentions(part.Body, buffer.Member)) continue;
                string start = buffer.PerRow == 1 ? "first" : $"(first * {Literal.Int(buffer.PerRow)})";
                w.WriteLine($"global::System.Span<{type}> {buffer.Member} = this.{buffer.Member}[{start}..];");
            }
            w.WriteLine();
            Write(w, part.Body);
        }
        w.WriteLine();
    }

    private static string BackwardBody(List<(PropertySpec Property, Lowered Lowered)> layers, Tensor logits, string probs)
    {
        var w = new IndentedTextWriter();
        w.WriteLine("// cross-entropy: d logits = (softmax − one_hot(target)) / (rows · TargetsPerRow)");
        w.WriteLine($"global::ModelGen.Kernels.CrossEntropyBackward({logits.Grad}, {probs}, new global::System.Span<int>(_targets, 0, rows * TargetsPerRow), rows * TargetsPerRow, ClassCount);");
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            w.WriteLine();
            layers[i].Lowered.Op.EmitBackward(w);
        }
        return w.ToString().TrimEnd('\n');
    }

    private static void WriteForward(IndentedTextWriter w, ModelSpec model, string body)
    {
        w.WriteLine("/// <summary>The forward pass over the first <paramref name=\"rows\"/> rows of the input, in declaration order.</summary>");
        WriteInputParameterDoc(w, model);
        using (w.WriteBlock($"private void ForwardCore({InputParameter(model)}, int rows)"))
        {
            w.WriteLine(body);
        }
        w.WriteLine();
    }

    private static void WriteBackward(IndentedTextWriter w, ModelSpec model, string body)
    {
        w.WriteLine("/// <summary>The backward pass of the forward pass just run: every layer in exact reverse order.</summary>");
        WriteInputParameterDoc(w, model);
        w.WriteLine("/// <param name=\"accumulate\">Add into the parameter gradients (Backward), or write them afresh: the values of adding into zeros (TrainStep).</param>");
        using (w.WriteBlock($"private void BackwardCore({InputParameter(model)}, int rows, bool accumulate)"))
        {
            w.WriteLine(body);
        }
    }

    // The passes take the input as a parameter named like the input buffer, which it hides there: the layers' calls
    // read it under that name either way, every forward pass reads the caller's span instead of a copy of it in the
    // buffer (64 MNIST images: 3 µs a step), and only Backward reads the copy that Loss keeps there.
    private static string InputParameter(ModelSpec model)
        => model.TokenInput ? "global::System.ReadOnlySpan<int> model_tokens" : "global::System.ReadOnlySpan<float> model_input";

    private static void WriteInputParameterDoc(IndentedTextWriter w, ModelSpec model)
    {
        string name = model.TokenInput ? "model_tokens" : "model_input";
        w.WriteLine($"/// <param name=\"{name}\">The input, read where it is: the caller's span, or for Backward the copy Loss keeps in the input buffer.</param>");
        w.WriteLine("/// <param name=\"rows\">The rows to run, 1 to BatchSize.</param>");
    }

    /// <summary>
    /// The field behind a layer property. The suffix keeps it apart from the fixed fields (<c>_tokens</c>,
    /// <c>_targets</c>, <c>_training</c>, …), which a layer named Tokens, Targets or Training would otherwise redeclare.
    /// </summary>
    public static string ModuleField(PropertySpec property) => "_" + Camel(property.PropertyName) + "Module";

    /// <summary>The view of a parameter's gradient: <c>d_body_layers_0_weight</c>.</summary>
    public static string GradientView(ParameterSlot parameter) => "d_" + parameter.Member;

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);
}
