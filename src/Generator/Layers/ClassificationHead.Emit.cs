using ModelGen.Generator.Emit;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class ClassificationHeadLayer
{
    /// <summary>One Linear, named <c>fc</c> inside the head: <c>head.fc.weight</c>, <c>head.fc.bias</c>.</summary>
    public static Lowered Lower(ClassificationHeadSpec spec, ModelPlan plan, Tensor input)
    {
        var fc = LinearLayer.Lower(plan, input, $"{spec.Name}.fc", spec.DIn, spec.NumClasses, bias: true, xavier: false);
        return new Lowered(
            new SequenceOp($"{spec.Name}: ClassificationHead({spec.DIn} → {spec.NumClasses} classes)", new[] { fc.Op }),
            fc.Output,
            $"new global::ModelGen.ClassificationHead(\"{spec.Name}\", {fc.Module})");
    }
}
