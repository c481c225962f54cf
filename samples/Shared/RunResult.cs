namespace ModelGen.Samples;

/// <summary>How a run ended.</summary>
public enum TrainOutcome
{
    /// <summary>All epochs are done.</summary>
    Completed,

    /// <summary>Stopped on request (<c>--stop-after</c>) before all epochs were done; resume from the checkpoint.</summary>
    Stopped,

    /// <summary>The loss (or the weights) became NaN or infinite; the files of the last finished epoch are kept.</summary>
    Diverged,
}

/// <summary>What every trainer's run produced; each trainer's <c>TrainResult</c> adds its epochs and what it measured.</summary>
public abstract record RunResult
{
    /// <summary>How the run ended.</summary>
    public required TrainOutcome Outcome { get; init; }

    /// <summary>The run folder.</summary>
    public required RunFolder Folder { get; init; }

    /// <summary>The training loss of every step of the run so far (a resumed run includes the earlier steps it found in loss.csv).</summary>
    public required float[] Losses { get; init; }

    /// <summary>Why the run stopped early (<see cref="TrainOutcome.Diverged"/>), else null.</summary>
    public string? Error { get; init; }
}
