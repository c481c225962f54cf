using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using ModelGen.Generator.Emit;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator;

/// <summary>
/// Turns every <c>[Model]</c> partial class into fixed-shape forward and backward code. One pipeline, three stages:
/// a syntax-only predicate, a transform that does all semantic work and returns value-equal models and diagnostics,
/// and an emitter that reads only the model.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var specs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ModelParser.ModelAttributeName,
                // Record classes too, for MG0013 to say that a model cannot be one (a record struct is CS0592 already).
                predicate: static (node, _) => node is ClassDeclarationSyntax || node.IsKind(SyntaxKind.RecordDeclaration),
                transform: static (source, cancellationToken) => ModelParser.Parse(source, cancellationToken))
            .WithTrackingName(TrackingNames.ModelSpecs);

        var diagnostics = specs
            .SelectMany(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (output, diagnostic) => output.ReportDiagnostic(diagnostic.ToDiagnostic()));

        var models = specs
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models, static (output, model) =>
        {
            // The namespace comes as C# writes it, keywords escaped (@event), and a file name may not hold an '@'.
            string hint = ((model.Namespace is null ? "" : model.Namespace + ".") + model.ClassName).Replace("@", "") + ".g.cs";
            output.AddSource(hint, SourceText.From(ModelEmitter.Emit(model), System.Text.Encoding.UTF8));
        });
    }
}
