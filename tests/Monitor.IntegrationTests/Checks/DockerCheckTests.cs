using System.Globalization;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using Monitor.Checks;
using Monitor.Checks.Docker;
using Monitor.Configuration;
using Monitor.IntegrationTests.Hosting;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;
using Xunit.Abstractions;

namespace Monitor.IntegrationTests.Checks;

/// <summary>
/// The docker check against a real Docker-compatible Engine API: Debian's podman serving it on a unix socket
/// (<c>podman system service</c>), with containers podman starts from the suite's stand-in bookworm image, all of
/// one compose project: healthy, unhealthy, restarting, OOM-killed under a 32 MiB limit. One service and one set
/// of containers for the class (<see cref="DockerEngineFixture"/>).
/// </summary>
public sealed class DockerCheckTests(DockerEngineFixture engine, ITestOutputHelper output) : IClassFixture<DockerEngineFixture>
{
    private static readonly IReadOnlyDictionary<string, string> CheckLabels = new Dictionary<string, string> { ["team"] = "ops" };

    private (DockerCheck Check, SeriesStore Store) Check(string? project, bool includeStopped = true, string? socket = null)
    {
        var store = new SeriesStore();
        var settings = new DockerCheckOptions { Socket = socket ?? engine.Socket, Project = project, IncludeStopped = includeStopped };
        var options = new CheckOptions { Name = "containers", Kind = DockerCheck.Kind, Settings = settings, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(20), Labels = CheckLabels };
        return (new DockerCheck(options, new SeriesScope(store, "containers", CheckLabels), TimeProvider.System), store);
    }

    private static async Task<Dictionary<string, string>> RunAsync(DockerCheck check, SeriesStore store)
    {
        using var cts = new CancellationTokenSource(check.Options.Timeout);
        var result = await check.RunAsync(cts.Token);
        Assert.True(result.Success, $"{result.Reason}: {result.Error}");
        return Exposition.Samples(store);
    }

    /// <summary>The one sample of <paramref name="family"/> for container <paramref name="service"/> whose other labels contain <paramref name="extra"/>.</summary>
    private string Value(Dictionary<string, string> samples, string family, string service, string extra = "")
    {
        string name = engine.NameOf(service);
        var match = samples.Where(s => s.Key.StartsWith(family + "{", StringComparison.Ordinal) && s.Key.Contains($"name=\"{name}\"", StringComparison.Ordinal) && s.Key.Contains(extra, StringComparison.Ordinal)).ToList();
        Assert.True(match.Count == 1, $"{family} of {name} with {extra}: {match.Count} samples\n{string.Join('\n', samples.Keys.Where(k => k.Contains(name, StringComparison.Ordinal)))}");
        return match[0].Value;
    }

    private static double Number(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Project_StateHealthRestartsOomAndUsage_AsTheEngineReportsThem()
    {
        var (check, store) = Check(engine.Project);
        Dictionary<string, string> s = [];

        // The restarting container is seen restarted at least twice, by the check itself.
        await Eventually.HoldsAsync(async () => Number(Value(s = await RunAsync(check, store), "monitor_container_restarts_total", "restarting")) >= 2, TimeSpan.FromSeconds(60), () => string.Join('\n', s.Keys.Where(k => k.Contains("restarting", StringComparison.Ordinal))));

        // Only the project's four containers; the one outside it is not listed.
        var names = s.Keys.Where(k => k.StartsWith("container_last_seen{", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, names.Count);
        Assert.DoesNotContain(names, n => n.Contains(engine.Outsider, StringComparison.Ordinal));

        // Labels: cAdvisor's name, id and image, compose's project and service, the check's own.
        string key = s.Keys.Single(k => k.StartsWith("container_last_seen{", StringComparison.Ordinal) && k.Contains(engine.NameOf("healthy"), StringComparison.Ordinal));
        Assert.Equal($"container_last_seen{{check=\"containers\",team=\"ops\",name=\"{engine.NameOf("healthy")}\",id=\"{engine.Ids["healthy"]}\",image=\"{engine.Image}\",compose_project=\"{engine.Project}\",compose_service=\"healthy\"}}", key);
        Assert.InRange(Number(s[key]), TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 120, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 1);

        Assert.Equal("1", Value(s, "monitor_container_state", "healthy", "state=\"running\""));
        Assert.Equal("0", Value(s, "monitor_container_state", "healthy", "state=\"exited\""));
        Assert.Equal("1", Value(s, "monitor_container_health", "healthy", "status=\"healthy\""));
        Assert.Equal("0", Value(s, "monitor_container_health", "healthy", "status=\"unhealthy\""));
        Assert.Equal("1", Value(s, "monitor_container_health", "unhealthy", "status=\"unhealthy\""));
        Assert.Equal("1", Value(s, "monitor_container_health", "restarting", "status=\"none\""));
        Assert.Equal("0", Value(s, "monitor_container_restarts_total", "healthy"));

        // The OOM one: exited 137 under its 32 MiB limit. OOMKilled is published as the engine reports it.
        Assert.Equal("1", Value(s, "monitor_container_state", "oom", "state=\"exited\""));
        Assert.Equal("137", Value(s, "monitor_container_exit_code", "oom"));
        Assert.Equal((32 * 1024 * 1024).ToString(CultureInfo.InvariantCulture), Value(s, "container_spec_memory_limit_bytes", "oom"));
        Assert.Equal(engine.OomKilledReported ? "1" : "0", Value(s, "monitor_container_oom_killed", "oom"));
        Assert.Equal("0", Value(s, "monitor_container_oom_killed", "healthy"));

        // Usage of a running one, from one-shot stats, against podman's own view of it.
        double cpu = Number(Value(s, "container_cpu_usage_seconds_total", "healthy", "cpu=\"total\""));
        Assert.InRange(cpu, 1e-6, 60);
        double memory = Number(Value(s, "container_memory_usage_bytes", "healthy"));
        Assert.InRange(memory, 4096, 256 * 1024 * 1024);
        Assert.InRange(Number(Value(s, "container_memory_working_set_bytes", "healthy")), 0, memory);
        Assert.Equal("0", Value(s, "container_spec_memory_limit_bytes", "healthy"));
        Assert.Contains(s.Keys, k => k.StartsWith("container_network_receive_bytes_total{", StringComparison.Ordinal) && k.Contains(engine.NameOf("healthy"), StringComparison.Ordinal));
        Assert.Contains(s.Keys, k => k.StartsWith("container_network_transmit_bytes_total{", StringComparison.Ordinal) && k.Contains(engine.NameOf("healthy"), StringComparison.Ordinal));
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("container_memory_usage_bytes{", StringComparison.Ordinal) && k.Contains(engine.NameOf("oom"), StringComparison.Ordinal));
        output.WriteLine($"project {engine.Project}: restarts={Value(s, "monitor_container_restarts_total", "restarting")} oom exit={Value(s, "monitor_container_exit_code", "oom")} oom_killed={Value(s, "monitor_container_oom_killed", "oom")} healthy cpu={cpu}s memory={memory}B");
    }

    [Fact]
    public async Task AllContainers_IncludeTheOutsider_AndRunningOnly_LeavesTheExitedOut()
    {
        var (all, allStore) = Check(project: null);
        var s = await RunAsync(all, allStore);
        Assert.Contains(s.Keys, k => k.StartsWith("container_last_seen{", StringComparison.Ordinal) && k.Contains($"name=\"{engine.Outsider}\"", StringComparison.Ordinal) && !k.Contains("compose_project", StringComparison.Ordinal));

        var (running, runningStore) = Check(engine.Project, includeStopped: false);
        s = await RunAsync(running, runningStore);
        Assert.DoesNotContain(s.Keys, k => k.Contains(engine.NameOf("oom"), StringComparison.Ordinal));
        Assert.Contains(s.Keys, k => k.Contains(engine.NameOf("healthy"), StringComparison.Ordinal));
    }

    /// <summary>
    /// The real service as another user (nobody, through setpriv) against a socket only its owner and group may
    /// open, as /var/run/docker.sock is (root:docker, 660): the failure names the group and its gid.
    /// </summary>
    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task PermissionDenied_ForMonitorsUser_NamesTheSocketsGroup()
    {
        string dir = Tools.TempDirectory();
        File.SetUnixFileMode(dir, (UnixFileMode)0x1FF); // 0777: the store is written by nobody
        string socket = Path.Combine(dir, "docker.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket));
        listener.Listen(4);
        File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        var (gid, group) = SocketOwner.GroupOf(socket)!.Value;

        int port = FreePort.Get();
        string config = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(config, MonitorProcess.ConfigWithListen($"storage:\n  sqlite: {dir}/monitor.db\nchecks:\n  - name: containers\n    interval: 1s\n    docker: {{ socket: {socket} }}\n", port));
        using var monitor = Podman.Start(Tools.Require("setpriv", "util-linux"), ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "dotnet", Tools.MonitorDll, "run", "--config", config]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        JsonElement lastRun = default;
        await Eventually.HoldsAsync(
            async () =>
            {
                if (monitor.HasExited)
                {
                    return true;
                }

                using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/v1/checks")));
                lastRun = doc.RootElement.GetProperty("checks")[0].GetProperty("last_run").Clone();
                return lastRun.GetProperty("reason").ValueKind == JsonValueKind.String;
            },
            TimeSpan.FromSeconds(60),
            () => monitor.Output);
        Assert.False(monitor.HasExited, monitor.Output);
        string error = lastRun.GetProperty("error").GetString()!;
        output.WriteLine($"{lastRun.GetProperty("reason").GetString()}: {error}");
        Assert.Equal(FailureReasons.PermissionDenied, lastRun.GetProperty("reason").GetString());
        Assert.Contains($"permission denied on {socket}: it belongs to group {group} (gid {gid})", error, StringComparison.Ordinal);
        Assert.Contains("(nobody)", error, StringComparison.Ordinal);
        monitor.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task MissingSocket_FailsWithItsReason()
    {
        var (check, _) = Check(engine.Project, socket: engine.Socket + ".missing");
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.NoSocket, result.Reason);
    }
}

/// <summary>
/// <c>podman system service</c> on a socket of its own and the test containers, one compose project with a
/// random name so that other containers in the same storage never meet the tests, removed at the end.
/// </summary>
public sealed class DockerEngineFixture : IAsyncLifetime
{
    private readonly string _dir = Tools.TempDirectory();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private ExternalProcess? _service;

    public string Socket => Path.Combine(_dir, "podman.sock");

    public string Project => "monitor-it-" + _suffix;

    public string Outsider => $"monitor-it-{_suffix}-outsider";

    public string Image { get; private set; } = "";

    public Dictionary<string, string> Ids { get; } = [];

    /// <summary>What the engine said of the OOM container's OOMKilled (podman 4.3 on cgroup v1 says false though the kernel killed it).</summary>
    public bool OomKilledReported { get; private set; }

    public string NameOf(string service) => $"{Project}-{service}";

    public async Task InitializeAsync()
    {
        string podman = Tools.Require("podman", "podman");
        Tools.Require("runc", "runc");
        Tools.Require("debootstrap", "debootstrap");

        // The suite's stand-in bookworm minbase (cached by its inputs), not an image of its own.
        var (code, output) = await Podman.Root(Repository.File("tests/container/standin-images.sh"), [], TimeSpan.FromMinutes(20));
        Assert.True(code == 0, $"tests/container/standin-images.sh failed ({code}):\n{output}");
        Image = "localhost/monitor-standin-bookworm:" + output.Trim().Split('\n').Last().Trim();

        _service = Podman.Start(podman, ["system", "service", "--time=0", "unix://" + Socket]);
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(Socket) || _service.HasExited), TimeSpan.FromSeconds(30), () => _service.Output);
        Assert.False(_service.HasExited, _service.Output);
        await Podman.Root("chmod", ["0666", Socket]); // the tests may run as another user than the service

        string[] project = ["--label", "com.docker.compose.project=" + Project];
        await RunAsync("healthy", [.. project, "--label", "com.docker.compose.service=healthy", "--health-cmd", "true", "--health-interval", "disable"], ["sleep", "infinity"]);
        await RunAsync("unhealthy", [.. project, "--label", "com.docker.compose.service=unhealthy", "--health-cmd", "false", "--health-retries", "1", "--health-interval", "disable"], ["sleep", "infinity"]);
        // Exits 1 a second after each start; --restart=always brings it back (a second apart, not a busy loop).
        await RunAsync("restarting", [.. project, "--label", "com.docker.compose.service=restarting", "--restart=always"], ["sh", "-c", "sleep 1; exit 1"]);
        await RunAsync("oom", [.. project, "--label", "com.docker.compose.service=oom", "--memory", "32m", "--memory-swap", "32m"], ["sh", "-c", "head -c 500m /dev/zero | tail"]);
        var (started, startOutput) = await Podman.RunAsync(["run", "-d", "--name", Outsider, Image, "sleep", "infinity"]);
        Assert.True(started == 0, startOutput);

        // The healthcheck's timer would need systemd: run each once, and wait on what podman reports.
        await Podman.RunAsync(["healthcheck", "run", NameOf("healthy")]);
        await Podman.RunAsync(["healthcheck", "run", NameOf("unhealthy")]);
        await Eventually.HoldsAsync(async () => await InspectAsync("healthy", "{{.State.Health.Status}}") == "healthy" && await InspectAsync("unhealthy", "{{.State.Health.Status}}") == "unhealthy", TimeSpan.FromSeconds(30), () => "healthchecks did not settle");
        await Eventually.HoldsAsync(async () => await InspectAsync("oom", "{{.State.Status}}") is "exited" or "stopped", TimeSpan.FromSeconds(60), () => "the OOM container did not exit");
        OomKilledReported = await InspectAsync("oom", "{{.State.OOMKilled}}") == "true";
    }

    private async Task RunAsync(string service, string[] arguments, string[] command)
    {
        var (code, output) = await Podman.RunAsync(["run", "-d", "--name", NameOf(service), .. arguments, Image, .. command]);
        Assert.True(code == 0, $"podman run {service} failed: {output}");
        Ids[service] = output.Trim().Split('\n').Last().Trim();
    }

    private async Task<string> InspectAsync(string service, string format) =>
        (await Podman.RunAsync(["inspect", "--format", format, NameOf(service)])).Output.Trim();

    public async Task DisposeAsync()
    {
        // A container caught mid-restart by its policy can refuse removal once: try again while it exists.
        foreach (string name in Ids.Keys.Select(NameOf).Append(Outsider))
        {
            for (int attempt = 0; attempt < 20; attempt++)
            {
                await Podman.RunAsync(["rm", "-f", "--time", "0", name]);
                if ((await Podman.RunAsync(["container", "exists", name])).ExitCode != 0)
                {
                    break;
                }
            }
        }

        _service?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
