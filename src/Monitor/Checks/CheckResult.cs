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

    /// <summary>
    /// The parts of a check with several independent reads (a Kubernetes resource list, a postgres query) that
    /// failed while the others were read and published; each has its own <c>monitor_check_failure_info</c> series.
    /// </summary>
    public IReadOnlyList<PartFailure> Parts { get; init; } = [];

    /// <summary>
    /// The result of a run whose parts fail one by one: success when none failed; a failure naming each failed part
    /// otherwise (reason: the first part's). When every part failed it is the whole check failing, told as one.
    /// </summary>
    public static CheckResult FromParts(IReadOnlyList<PartFailure> failures, int partsTried)
    {
        if (failures.Count == 0)
        {
            return Ok;
        }

        if (failures.Count == partsTried && failures.All(f => f.Reason == failures[0].Reason))
        {
            return Fail(failures[0].Reason, failures[0].Error);
        }

        string message = $"{failures.Count} of {partsTried} parts failed (the others are published): "
            + string.Join("; ", failures.Select(f => $"{f.Part}: {f.Error}"));
        return Fail(failures[0].Reason, message) with { Parts = failures };
    }
}

/// <summary>One failed part of a run: what was read (<c>services</c>, <c>pg_stat_activity</c>), why, and the error.</summary>
internal sealed record PartFailure(string Part, string Reason, string Error);
