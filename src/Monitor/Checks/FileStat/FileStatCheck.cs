using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.FileStat;

/// <summary>
/// Freshness of backups and other artefacts: for a glob, the newest match's modification time and size under
/// filestat_exporter's names (labelled by <c>path</c>), how many files match, the size of the one before it
/// (so a rule can say "smaller than the last"), and optionally whether the newest one's content is whole. A
/// content check runs once per version of the newest file (path, size, modification time), not every run.
/// </summary>
internal sealed class FileStatCheck : ICheck
{
    /// <summary>The <c>file</c> kind: the newest file matching a glob.</summary>
    /// <summary>The metric families a file check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new(["file_stat_modif_time_seconds", "file_stat_size_bytes", "monitor_file_count", "monitor_file_previous_size_bytes"]);

    public static readonly CheckKind Kind = new("file", FileStatCheckOptions.Read, (options, context) => new FileStatCheck(options, context.Scope), Families);

    private readonly FileStatCheckOptions _file;
    private readonly SeriesScope _scope;
    private readonly SeriesGeneration _generation;
    private readonly Sample _count;
    private (FileMatch File, string? Reason, string? Error)? _verified;

    public FileStatCheck(CheckOptions options, SeriesScope scope)
    {
        Options = options;
        _file = options.SettingsOf<FileStatCheckOptions>();
        _scope = scope;
        _generation = new SeriesGeneration(scope);
        _count = scope.Gauge("monitor_file_count", "Number of files matching the check's path glob.");
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        List<FileMatch> matches;
        try
        {
            // Off the caller's thread: a directory on a dead network filesystem must not hold the scheduler.
            matches = await Task.Run(() => _file.Path.Match(errors), CancellationToken.None).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return CheckResult.Fail(FailureReasons.Timeout, $"listing {_file.Path.Pattern} did not finish in time");
        }

        _count.Set(matches.Count);
        var published = SeriesGeneration.NewSet();
        if (matches.Count == 0)
        {
            _generation.Retain(published);
            string why = $"no file matches {_file.Path.Pattern}";
            return CheckResult.Fail(errors.Count > 0 ? FailureReasons.Internal : FailureReasons.NoMatch, errors.Count > 0 ? $"{why}; {string.Join("; ", errors)}" : why);
        }

        // Newest first; equal times by name, the later name first (backup-2024-05-02 after backup-2024-05-01).
        var ordered = matches.OrderByDescending(m => m.Modified).ThenByDescending(m => m.Path, StringComparer.Ordinal).ToList();
        var newest = ordered[0];
        Label[] labels = [new("path", newest.Path)];
        Publish(published, _scope.Gauge("file_stat_modif_time_seconds", "Last modification time of file in epoch time", labels), (newest.Modified - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond);
        Publish(published, _scope.Gauge("file_stat_size_bytes", "Size of file in bytes", labels), newest.Size);
        if (ordered.Count > 1)
        {
            Publish(published, _scope.Gauge("monitor_file_previous_size_bytes", "Size of the second-newest file matching the check's path glob (the previous backup)."), ordered[1].Size);
        }

        _generation.Retain(published);

        if (_file.Expect != FileExpectation.None)
        {
            if (_verified is not { } verified || verified.File != newest)
            {
                var (reason, error) = await VerifyAsync(newest, cancellationToken);
                if (cancellationToken.IsCancellationRequested)
                {
                    return CheckResult.Fail(FailureReasons.Timeout, $"checking the content of {newest.Path} did not finish in time");
                }

                verified = (newest, reason, error);

                // A verdict on the file is kept until it changes; an error reading it is tried again next run.
                _verified = reason == FailureReasons.Internal ? null : verified;
            }

            if (verified.Reason is { } failed)
            {
                return CheckResult.Fail(failed, verified.Error!);
            }
        }

        return errors.Count == 0 ? CheckResult.Ok : CheckResult.Ok with { Error = string.Join("; ", errors) };
    }

    private async Task<(string? Reason, string? Error)> VerifyAsync(FileMatch file, CancellationToken cancellationToken)
    {
        try
        {
            bool gzip = FileContent.IsGzip(file.Path);
            if (_file.Expect == FileExpectation.Gzip || gzip)
            {
                byte[]? tail = _file.Expect == FileExpectation.PgDumpComplete ? new byte[FileContent.TailBytes] : null;
                var (invalid, length) = await FileContent.VerifyGzipAsync(file.Path, tail, cancellationToken);
                if (invalid is not null)
                {
                    return (FailureReasons.InvalidGzip, $"{file.Path}: {invalid}");
                }

                if (tail is not null && !FileContent.HasDumpTrailer(tail.AsSpan(tail.Length - (int)Math.Min(length, tail.Length))))
                {
                    return (FailureReasons.IncompleteDump, $"{file.Path}: the decompressed dump does not end with \"-- PostgreSQL database dump complete\"");
                }

                return (null, null);
            }

            return FileContent.HasDumpTrailer(await FileContent.ReadTailAsync(file.Path, cancellationToken))
                ? (null, null)
                : (FailureReasons.IncompleteDump, $"{file.Path}: does not end with \"-- PostgreSQL database dump complete\"");
        }
        catch (OperationCanceledException)
        {
            return (FailureReasons.Timeout, "timed out");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (FailureReasons.Internal, $"reading {file.Path}: {e.Message}");
        }
    }

    private static void Publish(HashSet<Series> published, Sample series, double value)
    {
        series.Set(value);
        published.Add(series);
    }

    public void Dispose()
    {
    }
}
