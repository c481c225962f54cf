using System;

namespace ModelGen.Samples;

/// <summary>How the learning rate moves over the run.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant: the peak rate (<c>--lr</c>) at every step.</summary>
    None,

    /// <summary>Cosine decay from the peak rate (<c>--lr</c>) at the first step to 0 after the last step of the run.</summary>
    Cosine,
}

/// <summary>The learning rate of each step under a <see cref="LearningRateSchedule"/>; a pure function of the step, so a resumed run matches.</summary>
public static class LearningRate
{
    /// <summary>
    /// The learning rate for step <paramref name="step"/> (0-based) of a run of <paramref name="totalSteps"/> steps:
    /// constant, or <c>peak · ½(1 + cos(π · step / totalSteps))</c> for cosine (PyTorch's CosineAnnealingLR with
    /// eta_min 0 and T_max the run's step count, stepped every batch).
    /// </summary>
    public static float At(LearningRateSchedule schedule, float peak, long step, long totalSteps) => schedule switch
    {
        LearningRateSchedule.None => peak,
        LearningRateSchedule.Cosine => (float)(peak * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(step, totalSteps) / totalSteps))),
        _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown schedule."),
    };
}
