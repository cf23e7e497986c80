using System.Globalization;
using System.Text.Json;

namespace Monitor.Checks.Docker;

/// <summary>What the check reads of one container's inspect answer (<c>GET /containers/{id}/json</c>).</summary>
internal sealed record DockerContainer(
    string Id,
    string Name,
    string Image,
    string State,
    string Health,
    long RestartCount,
    bool OomKilled,
    long ExitCode,
    DateTimeOffset? StartedAt,
    long MemoryLimit,
    string? ComposeProject,
    string? ComposeService)
{
    /// <summary>Docker's container states (the Engine API's <c>ContainerState.Status</c> enum), one series each.</summary>
    public static readonly string[] States = ["created", "running", "paused", "restarting", "removing", "exited", "dead"];

    /// <summary>Docker's health states, and <c>none</c> for a container without a healthcheck.</summary>
    public static readonly string[] HealthStates = ["starting", "healthy", "unhealthy", "none"];

    public bool Running => State is "running";

    public static DockerContainer Parse(JsonElement inspect)
    {
        var state = inspect.GetProperty(nameof(State));
        string health = "none";
        if (state.TryGetProperty(nameof(Health), out var h) && h.ValueKind == JsonValueKind.Object && Str(h, "Status") is { Length: > 0 } status)
        {
            health = status;
        }

        var config = inspect.TryGetProperty("Config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        string? project = null, service = null;
        if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object)
        {
            project = Str(labels, "com.docker.compose.project");
            service = Str(labels, "com.docker.compose.service");
        }

        long memory = 0;
        if (inspect.TryGetProperty("HostConfig", out var host) && host.ValueKind == JsonValueKind.Object && host.TryGetProperty("Memory", out var m) && m.ValueKind == JsonValueKind.Number)
        {
            memory = m.GetInt64();
        }

        DateTimeOffset? started = null;
        if (Str(state, "StartedAt") is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at.Year > 1)
        {
            started = at;
        }

        return new DockerContainer(
            Id: Str(inspect, "Id") ?? string.Empty,
            Name: (Str(inspect, "Name") ?? string.Empty).TrimStart('/'),
            // The image as the container was created from it (postgres:15), as cAdvisor's image label; the digest otherwise.
            Image: (config.ValueKind == JsonValueKind.Object ? Str(config, "Image") : null) ?? Str(inspect, "Image") ?? string.Empty,
            State: DockerState(Str(state, "Status")),
            Health: health,
            RestartCount: Int(inspect, "RestartCount"),
            OomKilled: state.TryGetProperty("OOMKilled", out var oom) && oom.ValueKind == JsonValueKind.True,
            ExitCode: Int(state, "ExitCode"),
            StartedAt: started,
            MemoryLimit: memory,
            ComposeProject: project,
            ComposeService: service);
    }

    /// <summary>
    /// Docker's state for podman's own words in its compatible API: <c>stopped</c> (started once, exited; podman
    /// reports it for a container between restarts) is Docker's <c>exited</c>, <c>configured</c> is <c>created</c>.
    /// Any other word is kept, and gets a series of its own.
    /// </summary>
    internal static string DockerState(string? status) => status switch
    {
        null or "" => "unknown",
        "stopped" => "exited",
        "configured" => "created",
        _ => status,
    };

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : 0;
}

/// <summary>What the check reads of one-shot stats (<c>GET /containers/{id}/stats?stream=false</c>).</summary>
internal sealed record DockerStats(double? CpuSeconds, double? MemoryUsage, double? WorkingSet, IReadOnlyList<(string Interface, double Received, double Transmitted)> Networks)
{
    public static DockerStats Parse(JsonElement stats)
    {
        double? cpu = null;
        if (stats.TryGetProperty("cpu_stats", out var cs) && cs.ValueKind == JsonValueKind.Object
            && cs.TryGetProperty("cpu_usage", out var cu) && cu.ValueKind == JsonValueKind.Object
            && Num(cu, "total_usage") is { } total)
        {
            cpu = total / 1e9;
        }

        double? usage = null, workingSet = null;
        if (stats.TryGetProperty("memory_stats", out var ms) && ms.ValueKind == JsonValueKind.Object && Num(ms, "usage") is { } u)
        {
            usage = u;
            // cAdvisor's working set: usage less inactive file pages (cgroup v2 inactive_file, v1 total_inactive_file), never below 0.
            double inactive = 0;
            if (ms.TryGetProperty("stats", out var detail) && detail.ValueKind == JsonValueKind.Object)
            {
                inactive = Num(detail, "inactive_file") ?? Num(detail, "total_inactive_file") ?? 0;
            }

            workingSet = inactive < u ? u - inactive : 0;
        }

        var networks = new List<(string, double, double)>();
        if (stats.TryGetProperty("networks", out var nets) && nets.ValueKind == JsonValueKind.Object)
        {
            foreach (var net in nets.EnumerateObject())
            {
                if (net.Value.ValueKind == JsonValueKind.Object)
                {
                    networks.Add((net.Name, Num(net.Value, "rx_bytes") ?? 0, Num(net.Value, "tx_bytes") ?? 0));
                }
            }
        }

        return new DockerStats(cpu, usage, workingSet, networks);
    }

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
