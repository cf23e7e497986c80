namespace Monitor.Checks;

/// <summary>The outcome of one run: success, or a short machine-readable reason and a human-readable error.</summary>
internal sealed record CheckResult(bool Success, string? Reason, string? Error)
{
    public static readonly CheckResult Ok = new(true, null, null);

    /// <summary>What the run saw besides its outcome (a logs check's last matching lines), for <c>/api/v1/checks</c>.</summary>
    /// <remarks>Each one is cut like an error text: a log line can be arbitrarily long.</remarks>
    public IReadOnlyList<string> Details
    {
        get => _details;
        init => _details = value.Any(d => d.Length > MaxErrorLength) ? [.. value.Select(Truncate)] : value;
    }

    private readonly IReadOnlyList<string> _details = [];

    /// <summary>How much of an error text a result keeps (what <c>/api/v1/checks</c> and the logs show).</summary>
    public const int MaxErrorLength = 1024;

    /// <summary>A failure; an error text longer than <see cref="MaxErrorLength"/> is cut there, saying how much was cut.</summary>
    public static CheckResult Fail(string reason, string error) => new(false, reason, Truncate(error));

    public static string Truncate(string error)
    {
        if (error.Length <= MaxErrorLength)
        {
            return error;
        }

        int cut = char.IsHighSurrogate(error[MaxErrorLength - 1]) ? MaxErrorLength - 1 : MaxErrorLength;
        return $"{error[..cut]}… ({error.Length - cut} more characters)";
    }
}
