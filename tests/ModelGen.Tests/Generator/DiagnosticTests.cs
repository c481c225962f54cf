using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ModelGen.Tests.Generator;

/// <summary>Every diagnostic fires with its ID, a message naming the sizes, at the attribute or argument that is wrong.</summary>
public sealed class DiagnosticTests
{
    /// <summary>
    /// Runs the generator on <paramref name="markedSource"/>, where [| |] marks the span the diagnostic must cover,
    /// and returns the single diagnostic reported there.
    /// </summary>
    private static Diagnostic Single(string id, string markedSource)
    {
        int start = markedSource.IndexOf("[|", System.StringComparison.Ordinal);
        int end = markedSource.IndexOf("|]", System.StringComparison.Ordinal) - 2;
        string source = "using ModelGen;\n" + markedSource.Replace("[|", "").Replace("|]", "");
        var expected = new TextSpan(start + "using ModelGen;\n".Length, end - start);

        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.Exceptions);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(expected, diagnostic.Location.SourceSpan);
        Assert.Empty(result.Sources); // a model with errors generates nothing
        return diagnostic;
    }

    private static string Message(Diagnostic d) => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void MG0001_ClassNotPartial()
    {
        var d = Single("MG0001", """
            [Model(BatchSize = 4, InputSize = 3)]
            public class [|Classifier|]
            {
            }
            """);
        Assert.Contains("'Classifier'", Message(d));
    }

    [Fact]
    public void MG0002_NonPositiveSize_Named()
    {
        var d = Single("MG0002", """
            [Model(BatchSize = 4, InputSize = 3)]
            public partial class M
            {
                [Linear(InFeatures = 3, [|OutFeatures = 0|])]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Contains("'OutFeatures' of [Linear] on 'Fc' must be a positive size, but is 0", Message(d));
    }

    [Fact]
    public void MG0002_NonPositiveSize_Positional()
    {
        Single("MG0002", """
            [Model(BatchSize = 4, InputSize = 3)]
            public partial class M
            {
                [Linear(3, [|-2|])]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0002_NonPositiveBatchSize()
    {
        Single("MG0002", """
            [Model([|BatchSize = 0|], InputSize = 3)]
            public partial class M
            {
                [Linear(3, 2)]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0003_WidthMismatch_NamesBothSizes()
    {
        var d = Single("MG0003", """
            [Model(BatchSize = 4, InputSize = 784)]
            public partial class M
            {
                [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 2)]
                public partial Mlp Body { get; }

                [ClassificationHead([|DIn = 128|], NumClasses = 10)]
                public partial ClassificationHead Head { get; }
            }
            """);
        Assert.Equal("'DIn' of [ClassificationHead] on 'Head' is 128, but the input it receives ([Mlp] on 'Body', shape (B, 256)) has 256 features in its last dimension", Message(d));
    }

    [Fact]
    public void MG0003_WidthMismatch_AgainstModelInput()
    {
        var d = Single("MG0003", """
            [Model(BatchSize = 4, InputSize = 784)]
            public partial class M
            {
                [Linear([|InFeatures = 728|], OutFeatures = 10)]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Contains("728", Message(d));
        Assert.Contains("the model input, shape (B, 784)", Message(d));
    }

    [Fact]
    public void MG0003_WidthMismatch_InsideResidual()
    {
        Single("MG0003", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Residual, LayerNorm(8), FeedForward([|DModel = 6|])]
                public partial Residual Block { get; }
            }
            """);
    }

    [Fact]
    public void MG0004_ResidualChangesShape()
    {
        var d = Single("MG0004", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [[|Residual|], Linear(8, 4)]
                public partial Residual Block { get; }
            }
            """);
        Assert.Contains("maps (B, 8) to (B, 4)", Message(d));
    }

    [Fact]
    public void MG0005_DropoutProbability()
    {
        var d = Single("MG0005", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Dropout([|P = 1.0|])]
                public partial Dropout Drop { get; }
            }
            """);
        Assert.Contains("[0, 1), but is 1", Message(d));
    }

    [Fact]
    public void MG0006_DepthBelowOne()
    {
        Single("MG0006", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Mlp(InDim = 8, HiddenDim = 8, OutDim = 2, [|Depth = 0|])]
                public partial Mlp Body { get; }
            }
            """);
    }

    [Fact]
    public void MG0007_NoLayers()
    {
        Single("MG0007", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class [|Empty|]
            {
                public int NotALayer { get; set; }
            }
            """);
    }

    [Fact]
    public void MG0008_TwoLayersWithoutResidual()
    {
        Single("MG0008", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 8), [|Gelu|]]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0008_EmbeddingInsideResidual()
    {
        Single("MG0008", """
            [Model(BatchSize = 4, SequenceLength = 2)]
            public partial class M
            {
                [Embedding(5, 3)]
                public partial Embedding Tokens { get; }

                [Residual, [|Embedding(3, 3)|]]
                public partial Residual Block { get; }
            }
            """);
    }

    [Fact]
    public void MG0008_EmbeddingAfterAnotherLayer()
    {
        Single("MG0008", """
            [Model(BatchSize = 4, InputSize = 2)]
            public partial class M
            {
                [Linear(2, 2)]
                public partial Linear Fc { get; }

                [[|Embedding(5, 3)|]]
                public partial Embedding Tokens { get; }
            }
            """);
    }

    [Fact]
    public void MG0009_PropertyTypeMismatch()
    {
        var d = Single("MG0009", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public partial [|Mlp|] Fc { get; }
            }
            """);
        Assert.Contains("'public partial Linear Fc { get; }'", Message(d));
    }

    [Fact]
    public void MG0010_PropertyNotPartial()
    {
        Single("MG0010", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public Linear [|Fc|] { get; set; } = null!;
            }
            """);
    }

    [Fact]
    public void MG0011_NoInputDeclared()
    {
        Single("MG0011", """
            [[|Model(BatchSize = 4)|]]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0011_SequenceLengthWithoutEmbedding()
    {
        Single("MG0011", """
            [Model(BatchSize = 4, [|SequenceLength = 8|])]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0011_BothInputsIsOneError()
    {
        // SequenceLength is also set, but the first-layer-must-be-an-Embedding error would repeat the same mistake.
        var d = Single("MG0011", """
            [[|Model(BatchSize = 4, InputSize = 8, SequenceLength = 8)|]]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Contains("not both", Message(d));
    }

    [Fact]
    public void MG0012_EpsNotPositive()
    {
        Single("MG0012", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [LayerNorm(8, [|Eps = 0|])]
                public partial LayerNorm Norm { get; }
            }
            """);
    }

    [Fact]
    public void MG0013_NestedClass()
    {
        Single("MG0013", """
            public partial class Outer
            {
                [Model(BatchSize = 4, InputSize = 8)]
                public partial class [|Inner|]
                {
                    [Linear(8, 2)]
                    public partial Linear Fc { get; }
                }
            }
            """);
    }

    [Theory]
    [InlineData("record [|M|]")]
    [InlineData("record class [|M|]")]
    [InlineData("record [|M|](int Seed)")] // a record first, so not also a primary constructor
    public void MG0013_Record(string declaration)
    {
        var d = Single("MG0013", $$"""
            [Model(BatchSize = 4, InputSize = 8)]
            public partial {{declaration}}
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Equal("Model class 'M' is not supported: a model class cannot be a record; declare it as a partial class", Message(d));
    }

    [Theory]
    [InlineData("int hidden")]
    [InlineData("int seed")] // the generated constructor's own parameter list: still one error, not MG0015 as well
    [InlineData("")]
    public void MG0013_PrimaryConstructor(string parameters)
    {
        var d = Single("MG0013", $$"""
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M[|({{parameters}})|]
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Equal("Model class 'M' is not supported: a model class cannot have a primary constructor, which the generated constructor would have to call; declare an ordinary constructor that calls this(seed) instead", Message(d));
    }

    [Fact]
    public void MG0013_PrimaryConstructorInAnotherDeclaration()
    {
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """, "public partial class M(string name) { public string Name => name; }");
        Assert.Empty(result.Exceptions);
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("MG0013", d.Id);
        Assert.Equal("Model1.cs", d.Location.GetLineSpan().Path);
        Assert.Equal(new TextSpan("public partial class M".Length, "(string name)".Length), d.Location.SourceSpan);
        Assert.Empty(result.Sources);
    }

    /// <summary>Class names that a member of the generated code has too, and what MG0013 calls that member.</summary>
    public static TheoryData<string, string> ClassNamesOfGeneratedMembers() => new()
    {
        { "Forward", "a generated method" },
        { "ForwardCore", "a generated method" },
        { "Parameters", "a generated property" },
        { "BatchSize", "a generated constant" },
        { "_random", "a generated field" },
        { "probs", "the softmax buffer of the loss" },
        { "model_input", "the buffer of the model input" },
        // The getter of every generated property is declared, and so is the setter of Random.
        { "get_Parameters", "the getter C# reserves for 'Parameters', a generated property" },
        { "get_Random", "the getter C# reserves for 'Random', a generated property" },
        { "set_Random", "the setter C# reserves for 'Random', a generated property" },
        { "get_probs", "the getter C# reserves for 'probs', the softmax buffer of the loss" },
        // Names derived from the layer: reported on the class, not on the layer, whose name is its state_dict name.
        { "fc", "an activation buffer of layer 'Fc'" },
        { "fc_weight", "a parameter view of layer 'Fc'" },
        { "d_fc_bias", "a parameter gradient view of layer 'Fc'" },
        { "_fcModule", "the module field of layer 'Fc'" },
        { "get_fc", "the getter C# reserves for 'fc', an activation buffer of layer 'Fc'" },
    };

    [Theory]
    [MemberData(nameof(ClassNamesOfGeneratedMembers))]
    public void MG0013_ClassNamedLikeAGeneratedMember(string className, string member)
    {
        // C# names no member like its class (CS0542 inside the generated file).
        var d = Single("MG0013", $$"""
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class [|{{className}}|]
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Equal($"Model class '{className}' is not supported: '{className}' would name both the class and {member}, and a member may not be named like its class; rename the class", Message(d));
    }

    [Fact]
    public void MG0013_ClassNamedLikeATokenModelsMember()
    {
        var d = Single("MG0013", """
            [Model(BatchSize = 4, SequenceLength = 2)]
            public partial class [|model_tokens|]
            {
                [Embedding(5, 3)]
                public partial Embedding Tokens { get; }

                [Flatten]
                public partial Flatten Flat { get; }

                [Linear(6, 2)]
                public partial Linear Head { get; }
            }
            """);
        Assert.Equal("Model class 'model_tokens' is not supported: 'model_tokens' would name both the class and the buffer of the model input, and a member may not be named like its class; rename the class", Message(d));
    }

    [Fact]
    public void MG0013_ClassNamedLikeAGeneratedMember_AndOtherCollisions()
    {
        // Each name on its own: the class, a layer property (MG0014) and a hand-written member (MG0015).
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class Forward
            {
                [Linear(8, 2)]
                public partial Linear Loss { get; }

                private int _training;
            }
            """);
        Assert.Equal(["MG0013", "MG0014", "MG0015"], result.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(result.Sources);
    }

    [Theory]
    // Names of no member: the constructor is the class's own, rows and accumulate are parameters, and C# reserves the
    // names of absent setters (of Parameters, of the buffer fc) only against other members.
    [InlineData("M")]
    [InlineData("Model")]
    [InlineData("Classifier")]
    [InlineData("rows")]
    [InlineData("accumulate")]
    [InlineData("set_Parameters")]
    [InlineData("set_fc")]
    // Only a model of token ids has model_tokens, and only one whose GELU saves its derivative DerivativesPerRow.
    [InlineData("model_tokens")]
    [InlineData("DerivativesPerRow")]
    // Names that differ in case, and an indexer's default name, which no generated member has.
    [InlineData("forward")]
    [InlineData("Probs")]
    [InlineData("Item")]
    [InlineData("get_Item")]
    // Keywords, escaped: the generated code escapes them too.
    [InlineData("@event")]
    [InlineData("@class")]
    public void MG0013_NotForClassNamesThatCSharpAllows(string className)
    {
        AssertCompilesClean(GeneratorHarness.Run($$"""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class {{className}}
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """));
    }

    [Fact]
    public void AModelInAKeywordNamespaceWithAKeywordNameCompiles()
    {
        AssertCompilesClean(GeneratorHarness.Run("""
            using ModelGen;
            namespace @event.@class.Models;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class @params
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """));
    }

    private const string CollidingLayerModel = """
        [Model(BatchSize = 4, InputSize = 8)]
        public partial class M
        {
            [Linear(8, 4)]
            public partial Linear Fc { get; }

            [Linear(4, 2)]
            public partial Linear [|NAME|] { get; }
        }
        """;

    /// <summary>The members every model class gets, and what MG0014 calls them.</summary>
    public static TheoryData<string, string> FixedMemberNames() => new()
    {
        { "BatchSize", "constant" }, { "InputSize", "constant" }, { "OutputSize", "constant" }, { "ClassCount", "constant" },
        { "TargetsPerRow", "constant" }, { "ParameterCount", "constant" }, { "ActivationsPerRow", "constant" },
        { "ActivationGradientsPerRow", "constant" }, { "OptimizerSlots", "constant" },
        { "IsTraining", "property" }, { "Parameters", "property" }, { "Gradients", "property" }, { "OptimizerState", "property" },
        { "ParameterTable", "property" }, { "Random", "property" },
        { "Train", "method" }, { "Eval", "method" }, { "GetParameter", "method" }, { "ZeroGrad", "method" }, { "Forward", "method" },
        { "Loss", "method" }, { "Backward", "method" }, { "Step", "method" }, { "TrainStep", "method" }, { "Predict", "method" },
        { "CountCorrect", "method" }, { "ParameterAt", "method" }, { "LossCore", "method" }, { "ForwardCore", "method" }, { "BackwardCore", "method" },
        { "s_parameterTable", "field" }, { "_parameters", "field" }, { "_gradients", "field" }, { "_optimizerState", "field" },
        { "_activations", "field" }, { "_activationGradients", "field" }, { "_targets", "field" }, { "_random", "field" },
        { "_training", "field" }, { "_lossRows", "field" },
    };

    [Theory]
    [MemberData(nameof(FixedMemberNames))]
    public void MG0014_PropertyNamedLikeAGeneratedMember(string name, string kind)
    {
        var d = Single("MG0014", CollidingLayerModel.Replace("NAME", name));
        Assert.Equal($"Layer property '{name}' collides with the generated code: '{name}' would name both this property and a generated {kind}; rename the property", Message(d));
    }

    // A timed model (TimeKernels) also gets KernelTimes, _kernelTimes and s_kernelSites; an untimed one may use them.
    [Theory]
    [InlineData("KernelTimes", "property")]
    [InlineData("_kernelTimes", "field")]
    [InlineData("s_kernelSites", "field")]
    public void MG0014_PropertyNamedLikeAMemberOfATimedModel(string name, string kind)
    {
        string timed = CollidingLayerModel.Replace("InputSize = 8)", "InputSize = 8, TimeKernels = true)");
        var d = Single("MG0014", timed.Replace("NAME", name));
        Assert.Equal($"Layer property '{name}' collides with the generated code: '{name}' would name both this property and a generated {kind}; rename the property", Message(d));
        var untimed = GeneratorHarness.Run("using ModelGen;\n" + CollidingLayerModel.Replace("[|NAME|]", name));
        Assert.Empty(untimed.GeneratorDiagnostics);
    }

    /// <summary>Names the generated code derives from layers: buffers take the layer's snake_case name.</summary>
    public static TheoryData<string, string> DerivedNameCollisions() => new()
    {
        // The property's own buffers are named like a buffer of the model.
        {
            "[Linear(8, 4)] public partial Linear [|Probs|] { get; } [Linear(4, 2)] public partial Linear Head { get; }",
            "'probs' would name both its activation buffer and the softmax buffer of the loss"
        },
        {
            "[Linear(8, 4)] public partial Linear [|ModelInput|] { get; } [Linear(4, 2)] public partial Linear Head { get; }",
            "'model_input' would name both its activation buffer and the buffer of the model input"
        },
        {
            "[Linear(8, 4)] public partial Linear [|Rows|] { get; } [Linear(4, 2)] public partial Linear Head { get; }",
            "'rows' would name both its activation buffer and the parameter of the generated ForwardCore and BackwardCore"
        },
        {
            "[Linear(8, 4)] public partial Linear [|Accumulate|] { get; } [Linear(4, 2)] public partial Linear Head { get; }",
            "'accumulate' would name both its activation buffer and a parameter of the generated BackwardCore"
        },
        // ... and, with a run of row-wise layers (the second Linear and Head), the parameters of ForwardRows.
        {
            "[Linear(8, 4)] public partial Linear In { get; } [Linear(4, 4)] public partial Linear [|First|] { get; } [Linear(4, 2)] public partial Linear Head { get; }",
            "'first' would name both its activation buffer and a parameter of the generated ForwardRows"
        },
        {
            "[Linear(8, 4)] public partial Linear In { get; } [Linear(4, 4)] public partial Linear [|Part|] { get; } [Linear(4, 2)] public partial Linear Head { get; }",
            "'part' would name both its activation buffer and a parameter of the generated ForwardRows"
        },
        // ... or like a buffer of an earlier layer.
        {
            "[Linear(8, 4)] public partial Linear Fc { get; } [Linear(4, 2)] public partial Linear [|DFc|] { get; }",
            "'d_fc' would name both its activation buffer and an activation gradient buffer of layer 'Fc'"
        },
        {
            "[Mlp(InDim = 8, HiddenDim = 8, OutDim = 4, Depth = 2)] public partial Mlp Body { get; } [Linear(4, 2)] public partial Linear [|Body_layers_2|] { get; }",
            "'body_layers_2' would name both its activation buffer and an activation buffer of layer 'Body'"
        },
        {
            "[Residual, Linear(8, 8)] public partial Residual Block { get; } [Linear(8, 2)] public partial Linear [|Block_fn_0|] { get; }",
            "'block_fn_0' would name both its activation buffer and an activation buffer of layer 'Block'"
        },
        {
            "[Linear(8, 4)] public partial Linear Fc { get; } [Linear(4, 2)] public partial Linear [|Fc_weight|] { get; }",
            "'fc_weight' would name both its activation buffer and a parameter view of layer 'Fc'"
        },
        {
            "[Linear(8, 4)] public partial Linear FC { get; } [Linear(4, 2)] public partial Linear [|fC|] { get; }",
            "'_fCModule' would name both its module field and the module field of layer 'FC'"
        },
        // Two layers with one snake_case name: the later one is reported, once.
        {
            "[Linear(8, 4)] public partial Linear MLPBlock { get; } [Linear(4, 2)] public partial Linear [|MlpBlock|] { get; }",
            "'mlp_block' would name both this layer and layer 'MLPBlock'"
        },
        // The property itself is named like a buffer: its own (a lowercase name is its own snake_case name) or another layer's.
        {
            "[Linear(8, 2)] public partial Linear [|fc|] { get; }",
            "'fc' would name both this property and its own activation buffer"
        },
        {
            "[Linear(8, 2)] public partial Linear Fc { get; } [Flatten] public partial Flatten [|d_fc|] { get; }",
            "'d_fc' would name both this property and an activation gradient buffer of layer 'Fc'"
        },
        {
            "[Linear(8, 2)] public partial Linear Fc { get; } [Flatten] public partial Flatten [|_fcModule|] { get; }",
            "'_fcModule' would name both this property and the module field of layer 'Fc'"
        },
        {
            "[ClassificationHead(8, 2)] public partial ClassificationHead Head { get; } [Flatten] public partial Flatten [|head_fc_weight|] { get; }",
            "'head_fc_weight' would name both this property and a parameter view of layer 'Head'"
        },
        // A GELU whose input needs a gradient saves its derivative: the arena, its size and the buffer are taken too.
        {
            "[Linear(8, 4)] public partial Linear Fc { get; } [Gelu] public partial Gelu Act { get; } [Flatten] public partial Flatten [|act_derivative|] { get; }",
            "'act_derivative' would name both this property and a saved derivative buffer of layer 'Act'"
        },
        {
            "[Linear(8, 4)] public partial Linear Fc { get; } [Gelu] public partial Gelu Act { get; } [Flatten] public partial Flatten [|DerivativesPerRow|] { get; }",
            "'DerivativesPerRow' would name both this property and a generated constant"
        },
        {
            "[Linear(8, 4)] public partial Linear Fc { get; } [Gelu] public partial Gelu Act { get; } [Flatten] public partial Flatten [|_derivatives|] { get; }",
            "'_derivatives' would name both this property and a generated field"
        },
        // C# reserves get_P and set_P for every generated property P: the property is named so, or a buffer of its is, or
        // one of its own buffers reserves an earlier layer's name.
        {
            "[Linear(8, 2)] public partial Linear Fc { get; } [Flatten] public partial Flatten [|set_IsTraining|] { get; }",
            "'set_IsTraining' would name both this property and the setter C# reserves for 'IsTraining', a generated property"
        },
        {
            "[Linear(8, 4)] public partial Linear [|GetProbs|] { get; } [Linear(4, 2)] public partial Linear Head { get; }",
            "'get_probs' would name both its activation buffer and the getter C# reserves for 'probs', the softmax buffer of the loss"
        },
        {
            "[Linear(8, 4)] public partial Linear Encoder { get; } [Linear(4, 2)] public partial Linear [|SetEncoder|] { get; }",
            "'set_encoder' would name both its activation buffer and the setter C# reserves for 'encoder', an activation buffer of layer 'Encoder'"
        },
        {
            "[Linear(8, 4)] public partial Linear GetEncoder { get; } [Linear(4, 2)] public partial Linear [|Encoder|] { get; }",
            "'get_encoder' would name both the getter C# reserves for its activation buffer and an activation buffer of layer 'GetEncoder'"
        },
    };

    [Theory]
    [MemberData(nameof(DerivedNameCollisions))]
    public void MG0014_NameDerivedFromALayer(string layers, string collision)
    {
        var d = Single("MG0014", $$"""
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                {{layers}}
            }
            """);
        string property = layers.Split("[|")[1].Split("|]")[0];
        Assert.Equal($"Layer property '{property}' collides with the generated code: {collision}; rename the property", Message(d));
    }

    [Fact]
    public void MG0014_TokenBuffer()
    {
        var d = Single("MG0014", """
            [Model(BatchSize = 4, SequenceLength = 2)]
            public partial class M
            {
                [Embedding(5, 3)]
                public partial Embedding Tokens { get; }

                [Flatten]
                public partial Flatten Flat { get; }

                [Linear(6, 2)]
                public partial Linear [|ModelTokens|] { get; }
            }
            """);
        Assert.Contains("'model_tokens' would name both its activation buffer and the buffer of the model input", Message(d));
    }

    [Fact]
    public void MG0014_EachCollidingPropertyIsReportedOnce()
    {
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 8)]
                public partial Linear Loss { get; }

                [Linear(8, 8)]
                public partial Linear Probs { get; }

                [Linear(8, 2)]
                public partial Linear Head { get; }
            }
            """);
        Assert.Equal(["MG0014", "MG0014"], result.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Equal(["Loss", "Probs"], result.GeneratorDiagnostics.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split('\'')[1]));
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void MG0014_WaitsForTheModelsOtherErrors()
    {
        // The derived names come from a valid layout: a model with another error reports that error alone.
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(InFeatures = 7, OutFeatures = 2)]
                public partial Linear Loss { get; }
            }
            """);
        Assert.Equal("MG0003", Assert.Single(result.GeneratorDiagnostics).Id);
    }

    /// <summary>Names close to generated ones, names the generated code copes with, and C# keywords: no MG0014, and the code compiles clean.</summary>
    public static TheoryData<string> NamesThatDoNotCollide() => new()
    {
        "[Linear(8, 4)] public partial Linear LossLayer { get; } [Linear(4, 2)] public partial Linear Losses { get; }",
        "[Linear(8, 4)] public partial Linear ForwardLayer { get; } [Linear(4, 2)] public partial Linear TrainStepHead { get; }",
        "[Linear(8, 4)] public partial Linear Probabilities { get; } [Linear(4, 2)] public partial Linear ModelOutput { get; }",
        "[Linear(8, 4)] public partial Linear Row { get; } [Linear(4, 2)] public partial Linear RowsHead { get; }",
        "[Linear(8, 4)] public partial Linear Input { get; } [Linear(4, 2)] public partial Linear Output { get; }",
        "[Linear(8, 4)] public partial Linear Targets { get; } [Linear(4, 2)] public partial Linear Logits { get; }",
        "[Linear(8, 4)] public partial Linear Training { get; } [Linear(4, 2)] public partial Linear Parameter { get; }",
        "[Linear(8, 4)] public partial Linear Fc { get; } [Linear(4, 2)] public partial Linear DFc2 { get; }",
        "[Linear(8, 4)] public partial Linear Seed { get; } [Linear(4, 2)] public partial Linear Nameof { get; }",
        "[Linear(8, 4)] public partial Linear Value { get; } [Linear(4, 2)] public partial Linear Var { get; }",
        "[Flatten] public partial Flatten rows { get; } [ClassificationHead(8, 2)] public partial ClassificationHead head { get; }",
        // Keywords: the buffers are written @in, @out and the property @event.
        "[Linear(8, 4)] public partial Linear In { get; } [Flatten] public partial Flatten @event { get; } [Linear(4, 2)] public partial Linear Out { get; }",
        // Names that start like accessors, of no generated property: get_weight would be reserved by a buffer named weight.
        "[Linear(8, 4)] public partial Linear Get { get; } [Linear(4, 2)] public partial Linear Set { get; }",
        "[Linear(8, 4)] public partial Linear GetFc { get; } [Linear(4, 2)] public partial Linear SetHead { get; }",
    };

    [Theory]
    [MemberData(nameof(NamesThatDoNotCollide))]
    public void MG0014_NotForSimilarNames(string layers)
    {
        var result = GeneratorHarness.Run($$"""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                {{layers}}
            }
            """);
        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Single(result.Sources);
        var problems = result.CompilationDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>A valid model with a hand-written member in place of MEMBER.</summary>
    private const string ModelWithMember = """
        using System;
        [Model(BatchSize = 4, InputSize = 8)]
        public partial class M
        {
            [Linear(8, 4)]
            public partial Linear Fc { get; }

            [Linear(4, 2)]
            public partial Linear Head { get; }

            MEMBER
        }
        """;

    /// <summary>Hand-written members the generated code would declare again, and what MG0015 says of each.</summary>
    public static TheoryData<string, string> CollidingMembers() => new()
    {
        // Methods with a generated method's parameter types (names, return type, nullability and static do not count).
        {
            "public float [|Loss|](ReadOnlySpan<float> input, ReadOnlySpan<int> targets, int rows) => 0;",
            "'Loss(ReadOnlySpan<float>, ReadOnlySpan<int>, int)' would name both this method and a generated method; rename the method or change its parameters"
        },
        {
            "public void [|Forward|](ReadOnlySpan<float> x, int n, Span<float> y) { }",
            "'Forward(ReadOnlySpan<float>, int, Span<float>)' would name both this method and a generated method; rename the method or change its parameters"
        },
        {
            "public double [|TrainStep|](ReadOnlySpan<float> input, ReadOnlySpan<int> targets, int rows, Optimizer? optimizer) => 0;",
            "'TrainStep(ReadOnlySpan<float>, ReadOnlySpan<int>, int, Optimizer)' would name both this method and a generated method; rename the method or change its parameters"
        },
        {
            "public static void [|ZeroGrad|]() { }",
            "'ZeroGrad()' would name both this method and a generated method; rename the method or change its parameters"
        },
        {
            "private void [|ForwardCore|](ReadOnlySpan<float> x, int count) { }",
            "'ForwardCore(ReadOnlySpan<float>, int)' would name both this method and a generated method; rename the method or change its parameters"
        },
        // The generated constructor takes (int seed = 0).
        {
            "public [|M|](int seed) { }",
            "'M(int)' would name both this constructor and the generated constructor; change its parameters"
        },
        // Members that are not methods collide by name with anything generated.
        { "private int [|_random|];", "'_random' would name both this field and a generated field; rename the field" },
        { "private int _log, [|_targets|];", "'_targets' would name both this field and a generated field; rename the field" },
        { "public int [|BatchSize|] { get; set; }", "'BatchSize' would name both this property and a generated constant; rename the property" },
        { "public const int [|OptimizerSlots|] = 2;", "'OptimizerSlots' would name both this constant and a generated constant; rename the constant" },
        { "public sealed class [|Parameters|] { }", "'Parameters' would name both this class and a generated property; rename the class" },
        { "public struct [|Gradients|]<T> { }", "'Gradients' would name both this struct and a generated property; rename the struct" },
        { "public enum [|Random|] { A }", "'Random' would name both this enum and a generated property; rename the enum" },
        { "public event Action? [|Step|];", "'Step' would name both this event and a generated method; rename the event" },
        // ... and so do methods, with anything generated that is not a method.
        { "public int [|IsTraining|]() => 0;", "'IsTraining' would name both this method and a generated property; rename the method" },
        { "public void [|_lossRows|]<T>() { }", "'_lossRows' would name both this method and a generated field; rename the method" },
        // Names the generated code derives from the layers and the model.
        { "private float[] [|fc_weight|] = [];", "'fc_weight' would name both this field and a parameter view of layer 'Fc'; rename the field" },
        { "private float[] [|d_head|] = [];", "'d_head' would name both this field and an activation gradient buffer of layer 'Head'; rename the field" },
        { "private object? [|_headModule|];", "'_headModule' would name both this field and the module field of layer 'Head'; rename the field" },
        { "public int [|probs|]() => 0;", "'probs' would name both this method and the softmax buffer of the loss; rename the method" },
        { "public Span<float> [|model_input|] => default;", "'model_input' would name both this property and the buffer of the model input; rename the property" },
        // The names C# reserves for the accessors of a generated property P of type T, get_P() and set_P(T), whether P
        // has a setter or not: by name, and for a method, by parameter types (type parameters do not count).
        {
            "public Span<float> [|get_Parameters|]() => default;",
            "'get_Parameters()' would name both this method and the getter C# reserves for 'Parameters', a generated property; rename the method or change its parameters"
        },
        {
            "public static bool [|get_IsTraining|]<T>() => false;",
            "'get_IsTraining<T>()' would name both this method and the getter C# reserves for 'IsTraining', a generated property; rename the method or change its parameters"
        },
        {
            "public void [|set_Random|](Rng random) { }",
            "'set_Random(Rng)' would name both this method and the setter C# reserves for 'Random', a generated property; rename the method or change its parameters"
        },
        {
            "private void [|set_fc_weight|](Span<float> value) { }",
            "'set_fc_weight(Span<float>)' would name both this method and the setter C# reserves for 'fc_weight', a parameter view of layer 'Fc'; rename the method or change its parameters"
        },
        { "private int [|get_d_head|];", "'get_d_head' would name both this field and the getter C# reserves for 'd_head', an activation gradient buffer of layer 'Head'; rename the field" },
        { "public const int [|set_Parameters|] = 0;", "'set_Parameters' would name both this constant and the setter C# reserves for 'Parameters', a generated property; rename the constant" },
    };

    [Theory]
    [MemberData(nameof(CollidingMembers))]
    public void MG0015_MemberCollidesWithTheGeneratedCode(string member, string collision)
    {
        var d = Single("MG0015", ModelWithMember.Replace("MEMBER", member));
        string name = member.Split("[|")[1].Split("|]")[0];
        Assert.Equal($"Member '{name}' collides with the generated code: {collision}", Message(d));
    }

    [Fact]
    public void MG0015_TokenInputForward()
    {
        // A model of token ids has Forward(ReadOnlySpan<int>, int, Span<float>).
        var d = Single("MG0015", """
            using System;
            [Model(BatchSize = 4, SequenceLength = 2)]
            public partial class M
            {
                [Embedding(5, 3)]
                public partial Embedding Tokens { get; }

                [Flatten]
                public partial Flatten Flat { get; }

                [Linear(6, 2)]
                public partial Linear Head { get; }

                public void [|Forward|](ReadOnlySpan<int> tokens, int rows, Span<float> logits) { }
            }
            """);
        Assert.Equal("Member 'Forward' collides with the generated code: 'Forward(ReadOnlySpan<int>, int, Span<float>)' would name both this method and a generated method; rename the method or change its parameters", Message(d));
    }

    [Fact]
    public void MG0015_InASecondDeclarationOfTheClass()
    {
        const string Layers = """
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """;
        const string Members = """
            using System;
            using ModelGen;
            public partial class M
            {
                private int _random;
                public float Accuracy() => 0;
                public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<int> targets, int rows) => _random;
                partial void ZeroGrad();
                partial void ZeroGrad() { }
            }
            """;
        var result = GeneratorHarness.Run(Layers, Members);
        Assert.Empty(result.Exceptions);
        Assert.Equal(["MG0015", "MG0015", "MG0015"], result.GeneratorDiagnostics.Select(d => d.Id));
        Assert.All(result.GeneratorDiagnostics, d => Assert.Equal("Model1.cs", d.Location.SourceTree?.FilePath ?? d.Location.GetLineSpan().Path));
        foreach (var (d, name) in result.GeneratorDiagnostics.Zip(new[] { "_random", "Loss", "ZeroGrad" }))
        {
            Assert.StartsWith($"Member '{name}' collides", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
            Assert.Equal(Members.IndexOf(" " + name + (name == "_random" ? ";" : "("), System.StringComparison.Ordinal) + 1, d.Location.SourceSpan.Start);
        }
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void MG0015_WaitsForTheModelsOtherErrors()
    {
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(InFeatures = 7, OutFeatures = 2)]
                public partial Linear Fc { get; }

                private int _random;
            }
            """);
        Assert.Equal("MG0003", Assert.Single(result.GeneratorDiagnostics).Id);
    }

    [Fact]
    public void MG0015_AndMG0014_EachOnItsOwnName()
    {
        // The layer property is MG0014's alone; the hand-written field is MG0015's.
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Loss { get; }

                private int _training;
            }
            """);
        Assert.Equal(["MG0014", "MG0015"], result.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(result.Sources);
    }

    /// <summary>Hand-written members that C# allows beside the generated ones: no MG0015, and the code compiles clean.</summary>
    public static TheoryData<string> MembersThatDoNotCollide() => new()
    {
        // What a user adds to a model.
        "public float Accuracy() => 0; private readonly System.Collections.Generic.List<string> _log = new(); public int Logged => _log.Count;",
        // Overloads: other parameter types, another count, a ref kind or type parameters make another signature.
        "public void Forward(ReadOnlySpan<float> input, Span<float> output) => Forward(input, 1, output);",
        "public void Forward(float[] input, int rows, float[] output) => Forward(input.AsSpan(), rows, output.AsSpan());",
        "public void Forward(in ReadOnlySpan<float> input, int rows, Span<float> output) { }",
        "public void Forward<T>(ReadOnlySpan<float> input, int rows, Span<float> output) { }",
        "public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<int> targets, int rows, bool mean) => Loss(input, targets, rows);",
        "public float TrainStep(float[] input, int[] targets, Optimizer optimizer) => TrainStep(input, targets, 1, optimizer);",
        "public void Step(Optimizer optimizer, int times) { for (int i = 0; i < times; i++) Step(optimizer); }",
        "public void Train(bool on) { if (on) Train(); else Eval(); }",
        "private void ForwardCore(long rows) { }",
        "private void ForwardCore(int rows) { }",
        // Constructors other than (int).
        "public M() : this(42) { }",
        "public M(long seed) : this(unchecked((int)seed)) { }",
        "static M() { }",
        // Names that differ in case, and rows, which is only a parameter.
        "public int batchSize; public int _Random; public int Probs; public int rows;",
        // Accessor names with other parameter types, and of generated members that are not properties.
        "public Span<float> get_Parameters(int start) => Parameters.Slice(start); public void set_Random(in Rng random) { } public void set_IsTraining(int on) { }",
        "public int get_Forward() => 0; public int get_BatchSize() => 0; public int get__random() => 0; public int get_rows() => 0;",
    };

    [Theory]
    [MemberData(nameof(MembersThatDoNotCollide))]
    public void MG0015_NotForMembersThatCSharpAllows(string member)
    {
        AssertCompilesClean(GeneratorHarness.Run("using ModelGen;\n" + ModelWithMember.Replace("MEMBER", member)));
    }

    [Fact]
    public void MG0015_NotForExplicitInterfaceImplementations()
    {
        // Named like the generated Forward, BatchSize and Step, but an explicit implementation has no simple name.
        AssertCompilesClean(GeneratorHarness.Run("""
            using System;
            using ModelGen;
            public interface IRunner { void Forward(); int BatchSize { get; } event Action? Step; }

            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M : IRunner
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }

                void IRunner.Forward() { }
                int IRunner.BatchSize => BatchSize;
                event Action? IRunner.Step { add { } remove { } }
            }
            """));
    }

    [Theory]
    [InlineData("int IModel.[|TargetsPerRow|] => 1;")]
    [InlineData("int ModelGen.IModel.[|TargetsPerRow|] { get { return 1; } }")]
    [InlineData("int global::ModelGen.IModel.[|TargetsPerRow|] => TargetsPerRow;")]
    public void MG0015_ExplicitImplementationOfAGeneratedOne(string member)
    {
        // The generated code implements IModel's size properties explicitly, with the constants of their names.
        var d = Single("MG0015", ModelWithMember.Replace("MEMBER", member));
        Assert.Equal("Member 'IModel.TargetsPerRow' collides with the generated code: 'IModel.TargetsPerRow' would name both this property and the generated explicit implementation, which returns the constant TargetsPerRow; remove the property", Message(d));
    }

    [Fact]
    public void MG0015_NotForExplicitImplementationsOfWhatIsGeneratedImplicitly()
    {
        // The generated code implements IModel<float>.TrainStep, IModel.IsTraining and IModel.Step with public members
        // of those names: an explicit implementation beside them is legal C#, and takes the calls made through the interface.
        var result = GeneratorHarness.Run("""
            using System;
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }

                public int Steps { get; private set; }

                float IModel<float>.TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<int> targets, int rows, Optimizer optimizer)
                {
                    Steps++;
                    return TrainStep(input, targets, rows, optimizer);
                }

                bool IModel.IsTraining => !IsTraining;

                void IModel.Step(Optimizer optimizer) => throw new NotSupportedException();
            }
            """);
        AssertCompilesClean(result);

        var model = (IModel<float>)Activator.CreateInstance(Load(result.Output).GetType("M")!, 0)!;
        model.TrainStep(new float[8], new int[1], rows: 1, new Sgd(0.1f));
        Assert.Equal(1, model.GetType().GetProperty("Steps")!.GetValue(model));
        Assert.False(model.IsTraining);
    }

    [Fact]
    public void MG0015_NotForATokenModelsFloatForward()
    {
        // A token model's Forward takes ReadOnlySpan<int>: one taking floats is an overload.
        AssertCompilesClean(GeneratorHarness.Run("""
            using System;
            using ModelGen;
            [Model(BatchSize = 4, SequenceLength = 2)]
            public partial class M
            {
                [Embedding(5, 3)]
                public partial Embedding Tokens { get; }

                [Flatten]
                public partial Flatten Flat { get; }

                [Linear(6, 2)]
                public partial Linear Head { get; }

                public void Forward(ReadOnlySpan<float> input, int rows, Span<float> output) { }
            }
            """));
    }

    /// <summary>No diagnostic from the generator, one generated file, and no warning or error from the compiler.</summary>
    private static void AssertCompilesClean(GeneratorHarness.Result result)
    {
        Assert.True(result.Exceptions.Length == 0, string.Join("\n", result.Exceptions));
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Single(result.Sources);
        var problems = result.CompilationDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The assembly <paramref name="compilation"/> compiles to, loaded to run.</summary>
    private static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }

    [Fact]
    public void EveryDescriptorHasAStableUniqueId()
    {
        var ids = ModelGen.Generator.Diagnostics.DiagnosticDescriptors.All.Select(d => d.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^MG[0-9]{4}$", id));
    }

    [Fact]
    public void OneMistakeGivesOneError()
    {
        // The head's width would also mismatch the broken layer's output: only the first mistake is reported.
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(InFeatures = 5, OutFeatures = 6)]
                public partial Linear Fc { get; }

                [ClassificationHead(DIn = 9, NumClasses = 2)]
                public partial ClassificationHead Head { get; }
            }
            """);
        Assert.Equal("MG0003", Assert.Single(result.GeneratorDiagnostics).Id);
    }
}
