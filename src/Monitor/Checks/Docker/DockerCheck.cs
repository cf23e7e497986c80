using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Docker;

/// <summary>
/// Containers through the Docker Engine API (Docker, or podman's compatible service) on its unix socket: every
/// container, or one compose project's, with its state, health, restart count and OOM kill under Monitor's
/// names, and the running ones' usage under cAdvisor's. Each run lists the containers, then inspects them (and
/// reads one-shot stats of the running ones) at most <see cref="Concurrency"/> at a time, all under the check's
/// timeout. A container gone since the last run takes its series with it; a run that fails publishes nothing.
/// </summary>
internal sealed class DockerCheck : ICheck
{
    /// <summary>The <c>docker</c> kind: containers under cAdvisor's and Monitor's names.</summary>
    /// <summary>The metric families a docker check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new(["container_last_seen", "monitor_container_state", "monitor_container_health", "monitor_container_restarts_total", "monitor_container_oom_killed", "monitor_container_exit_code", "container_start_time_seconds", "container_spec_memory_limit_bytes", "container_cpu_usage_seconds_total", "container_memory_usage_bytes", "container_memory_working_set_bytes", "container_network_receive_bytes_total", "container_network_transmit_bytes_total"]);

    public static readonly CheckKind Kind = new("docker", DockerCheckOptions.Read, (options, context) => new DockerCheck(options, context.Scope, context.Time), Families);

    /// <summary>Inspect and stats requests in flight at once: a host with a hundred containers is read in about a tenth of the time, and the daemon is not flooded.</summary>
    public const int Concurrency = 8;

    private const string StateHelp = "The container's state as the Engine API reports it (1 for the current one).";

    private readonly DockerCheckOptions _docker;
    private readonly SeriesScope _scope;
    private readonly TimeProvider _time;
    private readonly SeriesGeneration _generation;
    private readonly DockerClient _client;

    public DockerCheck(CheckOptions options, SeriesScope scope, TimeProvider time)
    {
        Options = options;
        _docker = options.SettingsOf<DockerCheckOptions>();
        _scope = scope;
        _time = time;
        _generation = new SeriesGeneration(scope);
        _client = new DockerClient(_docker.Socket, Concurrency);
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        List<(DockerContainer Container, DockerStats? Stats)> containers;
        try
        {
            containers = await ReadAsync(cancellationToken);
        }
        catch (Exception e) when (e is ProbeException or OperationCanceledException or TimeoutException or HttpRequestException or IOException or SocketException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            _generation.Retain(SeriesGeneration.NewSet());
            return Classify(e, cancellationToken.IsCancellationRequested);
        }

        _generation.Retain(Publish(containers, _time.GetUtcNow()));
        return CheckResult.Ok;
    }

    internal static CheckResult Classify(Exception e, bool timedOut) => e switch
    {
        _ when timedOut || e is OperationCanceledException or TimeoutException => CheckResult.Fail(FailureReasons.Timeout, "the Docker daemon did not answer in time"),
        ProbeException probe => CheckResult.Fail(probe.Reason, probe.Message),
        JsonException or KeyNotFoundException or InvalidOperationException => CheckResult.Fail(FailureReasons.Parse, $"unexpected answer from the Engine API: {e.Message}"),
        _ => CheckResult.Fail(FailureReasons.Connect, e.Message),
    };

    private async Task<List<(DockerContainer, DockerStats?)>> ReadAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        using (var list = await _client.GetAsync(ListPath(_docker), cancellationToken))
        {
            foreach (var entry in list!.RootElement.EnumerateArray())
            {
                ids.Add(entry.GetProperty("Id").GetString()!);
            }
        }

        var found = new ConcurrentBag<(DockerContainer, DockerStats?)>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, async (id, token) =>
        {
            DockerContainer container;
            using (var inspect = await _client.GetAsync($"containers/{id}/json", token))
            {
                if (inspect is null)
                {
                    return; // removed since the list
                }

                container = DockerContainer.Parse(inspect.RootElement);
            }

            DockerStats? stats = null;
            if (container.Running)
            {
                try
                {
                    // one-shot: Docker answers at once instead of waiting a second for a second CPU sample.
                    using var answer = await _client.GetAsync($"containers/{id}/stats?stream=false&one-shot=true", token, emptyIsNull: true);
                    stats = answer is null ? null : DockerStats.Parse(answer.RootElement);
                }
                catch (ProbeException e) when (e.Reason == FailureReasons.Status)
                {
                    // Stopped between inspect and stats (409/500 "not running", or podman's empty 200 above): its state is still published.
                }
            }

            found.Add((container, stats));
        });

        return [.. found];
    }

    internal static string ListPath(DockerCheckOptions docker)
    {
        string path = "containers/json?all=" + (docker.IncludeStopped ? "true" : "false");
        if (docker.Project is { } project)
        {
            string filters = JsonSerializer.Serialize(new Dictionary<string, string[]> { ["label"] = ["com.docker.compose.project=" + project] }, DockerJson.Default.DictionaryStringStringArray);
            path += "&filters=" + Uri.EscapeDataString(filters);
        }

        return path;
    }

    /// <summary>The series of one run's containers; the set returned is every series this run published.</summary>
    internal HashSet<Series> Publish(IEnumerable<(DockerContainer Container, DockerStats? Stats)> containers, DateTimeOffset now)
    {
        var published = SeriesGeneration.NewSet();
        void Set(Sample series, double value)
        {
            series.Set(value);
            published.Add(series);
        }

        double seen = (now - DateTimeOffset.UnixEpoch).TotalSeconds;
        foreach (var (c, stats) in containers.OrderBy(c => c.Container.Name, StringComparer.Ordinal))
        {
            var labels = new List<Label> { new("name", c.Name), new("id", c.Id), new("image", c.Image) };
            if (c.ComposeProject is { } project)
            {
                labels.Add(new("compose_project", project));
            }

            if (c.ComposeService is { } service)
            {
                labels.Add(new("compose_service", service));
            }

            Label[] l = [.. labels];
            Label[] With(string name, string value) => [.. l, new Label(name, value)];

            Set(_scope.Gauge("container_last_seen", "Last time a container was seen by the exporter", l), seen);
            foreach (string state in DockerContainer.States)
            {
                Set(_scope.Gauge("monitor_container_state", StateHelp, With("state", state)), state == c.State ? 1 : 0);
            }

            if (Array.IndexOf(DockerContainer.States, c.State) < 0)
            {
                Set(_scope.Gauge("monitor_container_state", StateHelp, With("state", c.State)), 1);
            }

            foreach (string status in DockerContainer.HealthStates)
            {
                Set(_scope.Gauge("monitor_container_health", "The container's healthcheck status; none without a healthcheck (1 for the current one).", With("status", status)), status == c.Health ? 1 : 0);
            }

            Set(_scope.Counter("monitor_container_restarts_total", "Times the daemon restarted the container under its restart policy (RestartCount).", l), c.RestartCount);
            Set(_scope.Gauge("monitor_container_oom_killed", "1 when the container's last exit was an OOM kill (State.OOMKilled).", l), c.OomKilled ? 1 : 0);
            Set(_scope.Gauge("monitor_container_exit_code", "Exit code of the container's last run (0 while it has not exited).", l), c.ExitCode);
            if (c.StartedAt is { } started)
            {
                Set(_scope.Gauge("container_start_time_seconds", "Start time of the container since unix epoch in seconds.", l), (started - DateTimeOffset.UnixEpoch).TotalSeconds);
            }

            Set(_scope.Gauge("container_spec_memory_limit_bytes", "Memory limit for the container.", l), c.MemoryLimit);
            if (stats is null)
            {
                continue;
            }

            if (stats.CpuSeconds is { } cpu)
            {
                Set(_scope.Counter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", With("cpu", "total")), cpu);
            }

            if (stats.MemoryUsage is { } usage)
            {
                Set(_scope.Gauge("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed", l), usage);
            }

            if (stats.WorkingSet is { } workingSet)
            {
                Set(_scope.Gauge("container_memory_working_set_bytes", "Current working set in bytes.", l), workingSet);
            }

            foreach (var (iface, received, transmitted) in stats.Networks)
            {
                Set(_scope.Counter("container_network_receive_bytes_total", "Cumulative count of bytes received", With("interface", iface)), received);
                Set(_scope.Counter("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", With("interface", iface)), transmitted);
            }
        }

        return published;
    }

    public void Dispose() => _client.Dispose();
}
