namespace ModelGen.Generator;

/// <summary>Names of the pipeline steps, so tests can find them and assert they were cached.</summary>
public static class TrackingNames
{
    /// <summary>The transform from a [Model] class to a model spec and its diagnostics.</summary>
    public const string ModelSpecs = nameof(ModelSpecs);

    /// <summary>The specs of valid models, the emitter's input.</summary>
    public const string Models = nameof(Models);

    /// <summary>The diagnostics of every model class.</summary>
    public const string Diagnostics = nameof(Diagnostics);
}
