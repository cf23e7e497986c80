namespace Monitor.Checks;

/// <summary>The outcome of one run: success, or a short machine-readable reason and a human-readable error.</summary>
internal sealed record CheckResult(bool Success, string? Reason, string? Error)
{
    public static readonly CheckResult Ok = new(true, null, null);

    public static CheckResult Fail(string reason, string error) => new(false, reason, error);
}
