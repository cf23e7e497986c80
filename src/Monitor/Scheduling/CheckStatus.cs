namespace Monitor.Scheduling;

/// <summary>What <c>/api/v1/checks</c> shows of a check's most recent run.</summary>
internal sealed record CheckStatus(
    DateTimeOffset? LastStart,
    TimeSpan? LastDuration,
    bool? Success,
    string? Reason,
    string? Error,
    long Runs,
    long Failures,
    long Skipped,
    DateTimeOffset? NextRun)
{
    public static readonly CheckStatus Never = new(null, null, null, null, null, 0, 0, 0, null);

    /// <summary>The last run's <c>CheckResult.Details</c>.</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    /// <summary>The last run's failed parts (<c>CheckResult.Parts</c>).</summary>
    public IReadOnlyList<(string Part, string Reason, string Error)> Parts { get; init; } = [];
}
