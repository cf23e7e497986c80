using System.Text;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Logs;

/// <summary>
/// Counts lines and pattern matches in log files as promtail and fluent-bit's tail do: a file seen for the first
/// time is read from its end, appends are followed, a file renamed away (a new inode at the path) is read to its
/// end before the new file is read from its start, a file shorter than the offset (copytruncate) is read again
/// from 0, and the offsets are kept in a state file so a restart neither counts a line twice nor skips one.
/// Memory is bounded: lines are cut at <see cref="LogsCheckOptions.MaxLineBytes"/> and one run reads at most
/// <see cref="LogsCheckOptions.MaxBytesPerRun"/>, leaving the rest to the next run.
/// </summary>
internal sealed partial class LogsCheck : ICheck
{
    /// <summary>The <c>logs</c> kind: pattern counts over log files or a container's logs.</summary>
    /// <summary>The metric families a logs check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new(["monitor_log_read_lines_total", "monitor_log_lines_total", "monitor_log_read_bytes_total"]);

    public static readonly CheckKind Kind = new("logs", LogsCheckOptions.Read, (options, context) => new LogsCheck(options, context.Scope, context.Time), Families);

    private readonly LogsCheckOptions _logs;
    private readonly SeriesScope _scope;
    private readonly string _stateFile;
    private readonly Dictionary<string, TailedFile> _files = new(StringComparer.Ordinal);
    private readonly Queue<(string Shown, RecentLogLine Line)> _lastLines = new();
    private readonly Func<IReadOnlyList<RecentLogLine>> _recent;
    private readonly Dictionary<FileId, long> _retired = [];
    private readonly byte[] _buffer;
    private Dictionary<string, SavedOffset>? _saved;
    private bool _firstRun = true;
    private int _runs;

    public LogsCheck(CheckOptions options, SeriesScope scope, TimeProvider? timeProvider = null, Func<Monitor.Checks.Kubernetes.KubeConnection>? connect = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _connect = connect;
        Options = options;
        _logs = options.SettingsOf<LogsCheckOptions>();
        _scope = scope;
        _stateFile = Path.GetFullPath(_logs.StateFile ?? Path.Combine("data", "logs", options.Name.Replace('/', '_') + ".offsets"));
        _buffer = new byte[Math.Max(_logs.MaxLineBytes, 4096)];
        if (_logs.Docker is { } docker)
        {
            _client = new Monitor.Checks.Docker.DockerClient(docker.Socket, maxConnections: 1);
            _container = new TailedFile(docker.Container, new Label("container", docker.Container), scope, _logs.Patterns);
        }

        _recent = () =>
        {
            lock (_lastLines)
            {
                return [.. _lastLines.Select(l => l.Line)];
            }
        };
        if (_logs.LastLines > 0)
        {
            RecentLogLines.Register(options.Name, _recent);
        }
    }

    public CheckOptions Options { get; }

    public string StateFile => _stateFile;

    /// <summary>The last matching lines, oldest first, each as <c>PATH: LINE</c>.</summary>
    public IReadOnlyList<string> LastLines
    {
        get
        {
            lock (_lastLines)
            {
                return [.. _lastLines.Select(l => l.Shown)];
            }
        }
    }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var result = _logs.Docker is not null ? await RunDockerAsync(cancellationToken)
            : _logs.Kubernetes is not null ? await RunKubernetesAsync(notes, cancellationToken)
            : Run(cancellationToken);
        return _logs.LastLines > 0 || notes.Count > 0 ? result with { Details = [.. notes, .. LastLines] } : result;
    }

    private CheckResult Run(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        if (_saved is null)
        {
            try
            {
                _saved = OffsetState.Load(_stateFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _saved = [];
                errors.Add($"reading state file {_stateFile}: {e.Message}");
            }
        }

        List<string> paths;
        try
        {
            paths = Expand(_logs.Path!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail(FailureReasons.Unreadable, $"listing {_logs.Path}: {e.Message}");
        }

        var all = paths.Union(_files.Keys, StringComparer.Ordinal).ToList();
        int start = all.Count == 0 ? 0 : _runs++ % all.Count;
        long budget = _logs.MaxBytesPerRun;
        bool timedOut = false;

        // A rotating start keeps one busy file from using every run's budget.
        foreach (string path in all.Skip(start).Concat(all.Take(start)))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
                break;
            }

            try
            {
                budget = Tail(path, budget, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{path}: {e.Message}");
                if (_files.TryGetValue(path, out var broken))
                {
                    broken.Current?.Dispose();
                    broken.Current = null;
                }
            }
        }

        _firstRun = false;
        try
        {
            OffsetState.Save(_stateFile, _files.Values.Where(f => f.Current is not null).Select(f => new SavedOffset(f.Path, f.Current!.Id, f.Current.Offset, f.Current.SkipToNewline)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail(FailureReasons.Internal, $"writing state file {_stateFile}: {e.Message}");
        }

        if (timedOut || cancellationToken.IsCancellationRequested)
        {
            return CheckResult.Fail(FailureReasons.Timeout, "timed out reading log files; the rest is read by the next run");
        }

        if (errors.Count > 0)
        {
            return CheckResult.Fail(FailureReasons.Unreadable, string.Join("; ", errors));
        }

        if (paths.Count == 0)
        {
            return CheckResult.Fail(FailureReasons.Unreadable, $"no file matches {_logs.Path}");
        }

        return CheckResult.Ok;
    }

    /// <summary>Reads what is new in the file at <paramref name="path"/>; returns the budget left.</summary>
    private long Tail(string path, long budget, CancellationToken cancellationToken)
    {
        if (!_files.TryGetValue(path, out var file))
        {
            file = _files[path] = new TailedFile(path, new Label("path", path), _scope, _logs.Patterns);
        }

        // A file renamed away is read to its end first: its last lines were written before the new file's first.
        if (file.Rotated is not null)
        {
            budget = Drain(file, file.Rotated, budget, cancellationToken, out bool done);
            if (!done)
            {
                return budget;
            }

            Retire(file);
        }

        var stat = FileIdentity.OfPath(path);
        if (file.Current is not null && (stat is null || stat.Value.Id != file.Current.Id))
        {
            file.Rotated = file.Current;
            file.Current = null;
            budget = Drain(file, file.Rotated, budget, cancellationToken, out bool done);
            if (!done)
            {
                return budget;
            }

            Retire(file);
        }

        if (stat is null)
        {
            return budget;
        }

        if (file.Current is null)
        {
            var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0 });
            var reader = new Reader(stream, FileIdentity.OfHandle(stream.SafeFileHandle));
            long length = stream.Length;
            if (_saved!.Remove(path, out var saved) && saved.Id == reader.Id)
            {
                // The same file as before the restart: go on where that run stopped (from 0 if it was truncated since).
                (reader.Offset, reader.SkipToNewline) = saved.Offset <= length ? (saved.Offset, saved.SkipToNewline) : (0, false);
            }
            else if (_retired.Remove(reader.Id, out long ended))
            {
                // A rotated file, already read to its end under its old name, that the glob matches under its new one.
                reader.Offset = Math.Min(ended, length);
            }
            else if ((_firstRun && saved is null) || _files.Values.Any(f => f != file && (f.Current?.Id == reader.Id || f.Rotated?.Id == reader.Id)))
            {
                // First seen, or a rotated name of a file still followed under its old one: only what is written from now on counts.
                reader.Offset = length;
            }

            file.Current = reader;
        }
        else if (file.Current.Stream.Length < file.Current.Offset)
        {
            // copytruncate: the file was cut below what was read; everything in it now is new.
            file.Current.Offset = 0;
            file.Current.SkipToNewline = false;
        }

        return Read(file, file.Current, budget, final: false, cancellationToken, out _);
    }

    /// <summary>Closes a drained rotated file, remembering where it ended in case the glob also matches its new name.</summary>
    private void Retire(TailedFile file)
    {
        if (_retired.Count >= 1000)
        {
            _retired.Clear();
        }

        _retired[file.Rotated!.Id] = file.Rotated.Offset;
        file.Rotated.Dispose();
        file.Rotated = null;
    }

    private long Drain(TailedFile file, Reader reader, long budget, CancellationToken cancellationToken, out bool done) =>
        Read(file, reader, budget, final: true, cancellationToken, out done);

    /// <summary>
    /// Reads complete lines from the reader's offset until the end of the file or the budget. A trailing line
    /// without its newline is left for the next run (its writer may not have finished it) unless
    /// <paramref name="final"/>: a rotated file gets no more lines.
    /// </summary>
    private long Read(TailedFile file, Reader reader, long budget, bool final, CancellationToken cancellationToken, out bool atEnd)
    {
        atEnd = false;
        var stream = reader.Stream;
        stream.Position = reader.Offset;
        int filled = 0;
        while (budget > 0 && !cancellationToken.IsCancellationRequested)
        {
            int n = stream.Read(_buffer, filled, (int)Math.Min(_buffer.Length - filled, budget));
            if (n == 0)
            {
                atEnd = true;
                break;
            }

            budget -= n;
            filled += n;
            int consumed = 0;
            int newline;
            while ((newline = Array.IndexOf(_buffer, (byte)'\n', consumed, filled - consumed)) >= 0)
            {
                if (reader.SkipToNewline)
                {
                    reader.SkipToNewline = false;
                }
                else
                {
                    Line(file, _buffer.AsSpan(consumed, newline - consumed));
                }

                consumed = newline + 1;
            }

            if (consumed == 0 && filled == _buffer.Length)
            {
                // A line longer than the limit: keep its start, drop the rest up to its newline.
                if (!reader.SkipToNewline)
                {
                    Line(file, _buffer.AsSpan(0, filled));
                    reader.SkipToNewline = true;
                }

                consumed = filled;
            }

            file.Bytes.Add(consumed);
            reader.Offset += consumed;
            Buffer.BlockCopy(_buffer, consumed, _buffer, 0, filled - consumed);
            filled -= consumed;
        }

        if (atEnd && final && filled > 0)
        {
            if (!reader.SkipToNewline)
            {
                Line(file, _buffer.AsSpan(0, filled));
            }

            file.Bytes.Add(filled);
            reader.Offset += filled;
        }

        // Bytes of an unfinished line are read again next run; they do not use up this run's budget.
        return final && atEnd ? budget : budget + filled;
    }

    private void Line(TailedFile file, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        file.Lines.Inc();
        string line = Encoding.UTF8.GetString(bytes);
        List<string>? matched = null;
        for (int i = 0; i < _logs.Patterns.Count; i++)
        {
            if (_logs.Patterns[i].Regex.IsMatch(line))
            {
                file.Matches[i].Inc();
                (matched ??= []).Add(_logs.Patterns[i].Name);
            }
        }

        if (matched is not null && _logs.LastLines > 0)
        {
            lock (_lastLines)
            {
                _lastLines.Enqueue(($"{file.Path}: {line}", new RecentLogLine(file.Where, matched, line)));
                while (_lastLines.Count > _logs.LastLines)
                {
                    _lastLines.Dequeue();
                }
            }
        }
    }

    /// <summary>The files a path names: itself, or the matches of the glob in its last segment, in name order.</summary>
    internal static List<string> Expand(string path)
    {
        string dir = Path.GetDirectoryName(path) ?? "/";
        string name = Path.GetFileName(path);
        if (name.AsSpan().IndexOfAny('*', '?') < 0)
        {
            return File.Exists(path) ? [path] : [];
        }

        if (!Directory.Exists(dir))
        {
            return [];
        }

        var options = new EnumerationOptions { MatchType = MatchType.Simple, RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0, MatchCasing = MatchCasing.CaseSensitive };
        return [.. Directory.EnumerateFiles(dir, name, options).Order(StringComparer.Ordinal)];
    }

    public void Dispose()
    {
        RecentLogLines.Unregister(Options.Name, _recent);
        _client?.Dispose();
        _kube?.Dispose();
        foreach (var file in _files.Values)
        {
            file.Current?.Dispose();
            file.Rotated?.Dispose();
        }
    }

    /// <summary>One followed path (or container): its open file, the file it replaced while that is drained, and its series.</summary>
    private sealed class TailedFile
    {
        public TailedFile(string path, Label label, SeriesScope scope, IReadOnlyList<LogPattern> patterns)
            : this(path, scope, patterns, label)
        {
        }

        public TailedFile(string path, SeriesScope scope, IReadOnlyList<LogPattern> patterns, params Label[] labels)
        {
            Path = path;
            Where = labels.ToDictionary(l => l.Name, l => l.Value, StringComparer.Ordinal);
            Lines = scope.Counter("monitor_log_read_lines_total", "Lines read from a log file or container.", labels);
            Bytes = scope.Counter("monitor_log_read_bytes_total", "Bytes read from a log file or container.", labels);
            Matches = [.. patterns.Select(p => scope.Counter("monitor_log_lines_total", "Lines of a log file or container that match a pattern.", [.. labels, new Label("pattern", p.Name)]))];
        }

        /// <summary>Takes the series away (a pod that is gone).</summary>
        public void Remove(SeriesScope scope)
        {
            scope.Remove(Lines);
            scope.Remove(Bytes);
            foreach (var match in Matches)
            {
                scope.Remove(match);
            }
        }

        public string Path { get; }

        /// <summary>The labels that say where its lines come from (<c>path</c>, or <c>namespace</c>/<c>pod</c>/<c>container</c>).</summary>
        public IReadOnlyDictionary<string, string> Where { get; }

        public Reader? Current { get; set; }

        public Reader? Rotated { get; set; }

        public Sample Lines { get; }

        public Sample Bytes { get; }

        public Sample[] Matches { get; }
    }

    /// <summary>An open file and where reading it stopped.</summary>
    private sealed class Reader(FileStream stream, FileId id) : IDisposable
    {
        public FileStream Stream { get; } = stream;

        public FileId Id { get; } = id;

        public long Offset { get; set; }

        public bool SkipToNewline { get; set; }

        public void Dispose() => Stream.Dispose();
    }
}
