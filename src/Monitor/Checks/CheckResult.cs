namespace Monitor.Checks;

/// <summary>The outcome of one run: success, or a short machine-readable reason and a human-readable error.</summary>
internal sealed record CheckResult(bool Success, string? Reason, string? Error)
{
    public static readonly CheckResult Ok = new(true, null, null);

    /// <summary>What the run saw besides its outcome (a logs check's last matching lines), for <c>/api/v1/checks</c>.</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    public static CheckResult Fail(string reason, string error) => new(false, reason, error);
}
