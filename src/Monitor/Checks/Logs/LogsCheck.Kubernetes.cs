using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Monitor.Checks.Kubernetes;
using Monitor.Metrics;

namespace Monitor.Checks.Logs;

/// <summary>
/// The pods half of the <c>logs</c> kind: each run lists the namespace's pods by the label selector, and for
/// each container (or the named one) polls <c>GET /api/v1/namespaces/NS/pods/POD/log</c> with timestamps,
/// <c>sinceTime</c> at the second of the last line counted and <c>limitBytes</c> (the run's byte cap shared
/// among the containers), counting the lines after the cursor as the Docker half does. A cursor is kept per
/// pod uid, container and restart count in the state file: pods there at the check's first run start at now,
/// pods (and container instances, after a restart) that appear later are read from their start (after the rest
/// of the instance before a restart, with <c>previous=true</c>), and pods that are gone take their series along.
/// </summary>
internal sealed partial class LogsCheck
{
    /// <summary>The least one container may read in a run, however many there are.</summary>
    private const int MinBytesPerContainer = 16 * 1024;

    private readonly TimeProvider _time;
    private readonly Func<KubeConnection>? _connect;
    private KubeClient? _kube;
    private Dictionary<string, KubeCursor>? _kubeCursors;
    private bool _kubeStarted;
    private readonly Dictionary<string, TailedFile> _pods = new(StringComparer.Ordinal);
    private KubeCursor? _reading;
    private TailedFile? _readingSeries;
    private bool _readingCounted;

    /// <summary>The saved cursors by <c>UID/CONTAINER/RESTARTS</c> (for tests).</summary>
    internal IReadOnlyDictionary<string, (long LastNanos, int AtLast)> KubeCursors =>
        (_kubeCursors ?? []).ToDictionary(kv => kv.Key, kv => (kv.Value.LastNanos, kv.Value.AtLast));

    private async Task<CheckResult> RunKubernetesAsync(List<string> notes, CancellationToken cancellationToken)
    {
        var source = _logs.Kubernetes!;
        string? stateError = null;
        if (_kubeCursors is null)
        {
            _kubeCursors = new(StringComparer.Ordinal);
            try
            {
                _kubeStarted = OffsetState.LoadKube(_stateFile, _kubeCursors);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stateError = $"reading state file {_stateFile}: {e.Message}";
            }
        }

        CheckResult result;
        try
        {
            _kube ??= new KubeClient((_connect ?? Connect)(), _time);
            result = await ReadPodsAsync(source, notes, cancellationToken);
        }
        catch (ProbeException e)
        {
            result = CheckResult.Fail(e.Reason, e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or OperationCanceledException or TimeoutException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            result = ProbeNetwork.Classify(e, cancellationToken.IsCancellationRequested);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            result = CheckResult.Fail(FailureReasons.Parse, $"unexpected answer from the API server: {e.Message}");
        }

        try
        {
            OffsetState.SaveKube(_stateFile, _kubeStarted, _kubeCursors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail(FailureReasons.Internal, $"writing state file {_stateFile}: {e.Message}");
        }

        return stateError is not null && result.Success ? CheckResult.Fail(FailureReasons.Unreadable, stateError) : result;

        KubeConnection Connect() => source.Kubeconfig is { } path ? KubeConnection.FromKubeconfig(path) : KubeConnection.InCluster(Environment.GetEnvironmentVariable);
    }

    private async Task<CheckResult> ReadPodsAsync(KubernetesLogsSource source, List<string> notes, CancellationToken cancellationToken)
    {
        string ns = Uri.EscapeDataString(source.Namespace);
        var (pods, _) = await _kube!.ListVersionedAsync($"/api/v1/namespaces/{ns}/pods", $"pods in namespace {source.Namespace}", null, cancellationToken, everyPageQuery: "labelSelector=" + Uri.EscapeDataString(source.Selector));

        // What each container's log is read as: its series (by name) and its cursor (by uid, container and restart).
        var streams = new List<(string Pod, string Container, string Key, KubeCursor? Known, bool Previous)>();
        foreach (var pod in pods)
        {
            var meta = pod.GetProperty("metadata");
            string name = meta.GetProperty("name").GetString()!;
            string uid = meta.TryGetProperty("uid", out var u) ? u.GetString() ?? name : name;
            if (!pod.TryGetProperty("status", out var status) || !status.TryGetProperty("containerStatuses", out var statuses) || statuses.ValueKind != JsonValueKind.Array)
            {
                continue; // not scheduled or not started yet: no log to read
            }

            foreach (var container in statuses.EnumerateArray())
            {
                string cname = container.GetProperty("name").GetString()!;
                int restarts = container.TryGetProperty("restartCount", out var r) && r.TryGetInt32(out int n) ? n : 0;
                bool started = container.TryGetProperty("state", out var state) && (state.TryGetProperty("running", out _) || state.TryGetProperty("terminated", out _));
                if ((source.Container is not null && cname != source.Container) || (!started && restarts == 0))
                {
                    continue;
                }

                string key = $"{uid}/{cname}/{restarts.ToString(CultureInfo.InvariantCulture)}";
                var known = _kubeCursors!.GetValueOrDefault(key);
                string before = $"{uid}/{cname}/{(restarts - 1).ToString(CultureInfo.InvariantCulture)}";
                if (known is null && _kubeCursors!.TryGetValue(before, out var old))
                {
                    // Just restarted: the rest of the instance that died (what it logged after the last run) first, as kubectl logs --previous shows it.
                    streams.Add((name, cname, before, old, true));
                }

                streams.Add((name, cname, key, known, false));
            }
        }

        long nowNanos = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
        foreach (var (_, _, key, known, _) in streams)
        {
            if (known is null)
            {
                // At the first run only what is logged from now on counts; a pod or container instance that appears later is read from its start.
                _kubeCursors![key] = new KubeCursor { LastNanos = _kubeStarted ? -1 : nowNanos };
            }
        }

        _kubeStarted = true;

        // The listing saw every pod: cursors and series of pods and instances no longer there go.
        var keys = streams.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        foreach (string gone in _kubeCursors!.Keys.Where(k => !keys.Contains(k)).ToList())
        {
            _kubeCursors.Remove(gone);
        }

        // A previous instance's cursor is read once: the next run no longer lists it, and it goes.
        var names = streams.Select(s => $"{source.Namespace}/{s.Pod}/{s.Container}").ToHashSet(StringComparer.Ordinal);
        foreach (var (name, series) in _pods.Where(kv => !names.Contains(kv.Key)).ToList())
        {
            _pods.Remove(name);
            series.Remove(_scope);
        }

        if (streams.Count == 0)
        {
            return CheckResult.Fail(FailureReasons.NoMatch, $"no started pod in namespace {source.Namespace} matches {source.Selector}");
        }

        long share = Math.Max(_logs.MaxBytesPerRun / streams.Count, MinBytesPerContainer);
        var errors = new List<string>();
        foreach (var (pod, container, key, _, previous) in streams)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string name = $"{source.Namespace}/{pod}/{container}";
            if (!_pods.TryGetValue(name, out var series))
            {
                series = _pods[name] = new TailedFile(name, _scope, _logs.Patterns, new Label("namespace", source.Namespace), new Label("pod", pod), new Label("container", container));
            }

            try
            {
                await ReadPodLogAsync(source, pod, container, previous, _kubeCursors[key], series, share, notes, cancellationToken);
            }
            catch (ProbeException e) when (e.Reason == FailureReasons.Status)
            {
                // The pod went between the list and the read, or its container is not yet logging: the others are still read.
                errors.Add($"{name}: {e.Message}");
            }
        }

        return errors.Count == 0 ? CheckResult.Ok : CheckResult.Fail(FailureReasons.Status, string.Join("; ", errors));
    }

    /// <summary>One container's log after its cursor, at most <paramref name="share"/> bytes of it.</summary>
    private async Task ReadPodLogAsync(KubernetesLogsSource source, string pod, string container, bool previous, KubeCursor cursor, TailedFile series, long share, List<string> notes, CancellationToken cancellationToken)
    {
        string path = $"/api/v1/namespaces/{Uri.EscapeDataString(source.Namespace)}/pods/{Uri.EscapeDataString(pod)}/log?container={Uri.EscapeDataString(container)}&timestamps=true" + (previous ? "&previous=true" : "");
        if (cursor.LastNanos >= 0)
        {
            // sinceTime has second resolution: the lines of the cursor's second come again and are skipped by their timestamps.
            var since = DateTimeOffset.FromUnixTimeSeconds(cursor.LastNanos / 1_000_000_000);
            path += "&sinceTime=" + Uri.EscapeDataString(since.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        long limit = share;
        path += "&limitBytes=" + limit.ToString(CultureInfo.InvariantCulture);
        var decoder = new DockerLogDecoder(tty: true, _logs.MaxLineBytes + TimestampRoom);
        (_reading, _readingSeries, _readingCounted) = (cursor, series, false);
        cursor.SeenAtLast = 0;
        long read = await _kube!.GetChunksAsync(path, "pods/log", _buffer, limit, n => decoder.Feed(_buffer.AsSpan(0, n), PodLine), cancellationToken);
        bool cut = read >= limit;
        if (!cut)
        {
            decoder.Finish(PodLine);
            return;
        }

        // The cap cut this container's log: the rest (and the cut line) is read by the next run, from the cursor.
        if (!_readingCounted && cursor.LastNanos >= 0)
        {
            // Even the lines of one second fill the share: skip the rest of that second, or no run would get past it.
            cursor.LastNanos = ((cursor.LastNanos / 1_000_000_000) + 1) * 1_000_000_000;
            cursor.AtLast = 0;
            notes.Add($"{series.Path}: cut at {limit} bytes this run; more than that was logged in one second, the rest of that second was skipped");
        }
        else
        {
            notes.Add($"{series.Path}: cut at {limit} bytes this run; the rest is read by the next run");
        }
    }

    /// <summary>One line of a pod's log: counted unless it is at or before the cursor.</summary>
    private void PodLine(int stream, ReadOnlySpan<byte> raw)
    {
        var cursor = _reading!;
        var message = raw;
        if (DockerLogDecoder.TryParseTimestamp(raw, out long nanos, out int start))
        {
            message = raw[start..];
            if (nanos < cursor.LastNanos)
            {
                return;
            }

            if (nanos == cursor.LastNanos)
            {
                if (++cursor.SeenAtLast <= cursor.AtLast)
                {
                    return;
                }

                cursor.AtLast = cursor.SeenAtLast;
            }
            else
            {
                (cursor.LastNanos, cursor.AtLast, cursor.SeenAtLast) = (nanos, 1, 1);
            }
        }

        if (message.Length > _logs.MaxLineBytes)
        {
            message = message[.._logs.MaxLineBytes];
        }

        _readingCounted = true;
        _readingSeries!.Bytes.Add(message.Length + 1);
        Line(_readingSeries, message);
    }

    /// <summary>Where reading of one container instance's log stopped.</summary>
    internal sealed class KubeCursor
    {
        /// <summary>The last counted line's timestamp in nanoseconds since the epoch; -1 is "from the start".</summary>
        public long LastNanos { get; set; }

        /// <summary>How many lines with exactly <see cref="LastNanos"/> were counted.</summary>
        public int AtLast { get; set; }

        public int SeenAtLast { get; set; }
    }
}
