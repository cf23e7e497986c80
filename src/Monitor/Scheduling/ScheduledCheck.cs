using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Scheduling;

/// <summary>One check in the schedule: its next due time, whether a run is in flight, and its last outcome.</summary>
internal sealed class ScheduledCheck
{
    private readonly Sample _runsSuccess;
    private readonly Sample _runsFailure;
    private readonly Sample _runsSkipped;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Part, string Reason), Sample> _failureInfo = [];
    private int _running;
    private CheckStatus _status = CheckStatus.Never;

    public ScheduledCheck(ICheck check, SeriesScope scope, HistogramSeries duration)
    {
        Check = check;
        Scope = scope;
        Duration = duration;
        const string help = "Check runs by result (success, failure, or skipped because the previous run was still going).";
        _runsSuccess = scope.Counter("monitor_check_runs_total", help, new Label("result", "success"));
        _runsFailure = scope.Counter("monitor_check_runs_total", help, new Label("result", "failure"));
        _runsSkipped = scope.Counter("monitor_check_runs_total", help, new Label("result", "skipped"));
    }

    public ICheck Check { get; }

    public CheckOptions Options => Check.Options;

    public SeriesScope Scope { get; }

    public HistogramSeries Duration { get; }

    public TimeSpan Offset { get; set; }

    /// <summary>Planned start of the next run (guarded by the scheduler's lock).</summary>
    public DateTimeOffset NextDue { get; set; }

    /// <summary>Planned start of the last run dispatched.</summary>
    public DateTimeOffset? LastPlanned { get; set; }

    public bool Removed { get; set; }

    public CheckStatus Status => Volatile.Read(ref _status) with { NextRun = Removed ? null : NextDue };

    /// <summary>Claims the check for a run; false when the previous run has not finished.</summary>
    public bool TryBeginRun() => Interlocked.Exchange(ref _running, 1) == 0;

    public void EndRun() => Volatile.Write(ref _running, 0);

    public void RecordSkipped()
    {
        _runsSkipped.Inc();
        lock (_lock)
        {
            _status = _status with { Skipped = _status.Skipped + 1 };
        }
    }

    /// <summary>Records a finished run; returns the previous success state, for logging transitions.</summary>
    public bool? Complete(CheckResult result, DateTimeOffset started, TimeSpan elapsed)
    {
        // What a run says is shown (API, logs): a URL in it never shows its password.
        result = result with
        {
            Error = result.Error is null ? null : Redaction.Text(result.Error),
            Details = [.. result.Details.Select(Redaction.Text)],
            Parts = [.. result.Parts.Select(p => p with { Error = Redaction.Text(p.Error) })],
        };
        Duration.Observe(elapsed.TotalSeconds);
        (result.Success ? _runsSuccess : _runsFailure).Inc();
        bool? previous;
        lock (_lock)
        {
            previous = _status.Success;
            _status = _status with
            {
                LastStart = started,
                LastDuration = elapsed,
                Success = result.Success,
                Reason = result.Reason,
                Error = result.Error,
                Details = result.Details,
                Parts = [.. result.Parts.Select(p => (p.Part, p.Reason, p.Error))],
                Runs = _status.Runs + 1,
                Failures = _status.Failures + (result.Success ? 0 : 1),
            };

            // failure_info exists only while failing, with the current reason: one series, or one per failed part
            // ({part, reason}) when the run failed part by part and published the rest.
            List<(string Part, string Reason)> wanted = result.Success
                ? []
                : result.Parts.Count > 0
                    ? result.Parts.Select(p => (p.Part, p.Reason)).Distinct().ToList()
                    : [(string.Empty, result.Reason ?? FailureReasons.Internal)];
            foreach (var key in _failureInfo.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                Scope.Remove(_failureInfo[key]);
                _failureInfo.Remove(key);
            }

            foreach (var key in wanted.Where(k => !_failureInfo.ContainsKey(k)))
            {
                Label[] labels = key.Part.Length == 0 ? [new("reason", key.Reason)] : [new("part", key.Part), new("reason", key.Reason)];
                var info = Scope.Gauge("monitor_check_failure_info", "Present with value 1 while a check fails, with the reason of the failure.", labels);
                info.Set(1);
                _failureInfo[key] = info;
            }
        }

        return previous;
    }
}
