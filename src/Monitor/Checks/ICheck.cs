using Monitor.Configuration;

namespace Monitor.Checks;

/// <summary>
/// Something polled on an interval. A check writes its own series (through the <c>SeriesScope</c> it was
/// built with) and reports whether it succeeded; the scheduler never runs two runs of one check at once.
/// </summary>
internal interface ICheck : IDisposable
{
    CheckOptions Options { get; }

    /// <summary>
    /// Runs once. <paramref name="cancellationToken"/> fires at the check's timeout; a check must then finish
    /// promptly, report <see cref="FailureReasons.Timeout"/> and never throw.
    /// </summary>
    Task<CheckResult> RunAsync(CancellationToken cancellationToken);
}
