using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Monitor.Checks;
using Monitor.Checks.Docker;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Docker;

/// <summary>
/// The docker check against answers captured from podman 4.3's Docker-compatible API (tests/fixtures/docker/:
/// one healthy, one unhealthy, one restarting and one OOM-killed container of the compose project "dkcap"), and
/// against a fake Engine API on a unix socket for the ways the socket fails.
/// </summary>
public sealed class DockerCheckTests : IDisposable
{
    private const string B = "check=\"containers\",team=\"ops\"";
    private readonly string _dir = Directory.CreateTempSubdirectory("docker-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Fixture(string name) => JsonDocument.Parse(File.ReadAllText(Repository.Fixture("docker", name))).RootElement;

    private static DockerContainer Container(string name) => DockerContainer.Parse(Fixture($"inspect-{name}.json"));

    private static CheckOptions Options(DockerCheckOptions docker, TimeSpan? timeout = null) =>
        new() { Name = "containers", Kind = DockerCheck.Kind, Settings = docker, Interval = TimeSpan.FromSeconds(30), Timeout = timeout ?? TimeSpan.FromSeconds(5), Labels = new Dictionary<string, string> { ["team"] = "ops" } };

    private static string Labels(DockerContainer c) =>
        $"{B},name=\"{c.Name}\",id=\"{c.Id}\",image=\"{c.Image}\",compose_project=\"dkcap\",compose_service=\"{c.Name["dk-".Length..]}\"";

    [Fact]
    public void Parse_PodmanInspect_StateHealthRestartsAndComposeLabels()
    {
        var healthy = Container("healthy");
        Assert.Equal(("dk-healthy", "running", "healthy", "dkcap", "healthy"), (healthy.Name, healthy.State, healthy.Health, healthy.ComposeProject, healthy.ComposeService));
        Assert.Equal("localhost/monitor-standin-bookworm:e03e392658723bb5", healthy.Image);
        Assert.Equal(64, healthy.Id.Length);
        Assert.Equal(0, healthy.MemoryLimit);
        Assert.Equal("unhealthy", Container("unhealthy").Health);

        var restarting = Container("restarting");
        Assert.True(restarting.RestartCount > 100, restarting.RestartCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // podman says "stopped" between restarts; Docker's word for it is exited.
        Assert.Equal(("exited", "none"), (restarting.State, restarting.Health));

        var oom = Container("oom");
        Assert.Equal(("exited", 137L, 32L * 1024 * 1024), (oom.State, oom.ExitCode, oom.MemoryLimit));
        // The kernel OOM-killed it (dmesg: "Memory cgroup out of memory: Killed process ... (tail)"), but podman 4.3
        // under cgroup v1 here does not record it: OOMKilled is false in its answer.
        Assert.False(oom.OomKilled);
    }

    [Fact]
    public void Parse_OomKilledTrue_AsDockerReportsIt()
    {
        string json = File.ReadAllText(Repository.Fixture("docker", "inspect-oom.json")).Replace("\"OOMKilled\": false", "\"OOMKilled\": true", StringComparison.Ordinal);
        Assert.True(DockerContainer.Parse(JsonDocument.Parse(json).RootElement).OomKilled);
    }

    [Theory]
    [InlineData("stopped", "exited")]
    [InlineData("configured", "created")]
    [InlineData("restarting", "restarting")]
    [InlineData("", "unknown")]
    public void DockerState_MapsPodmansWords(string podman, string docker) => Assert.Equal(docker, DockerContainer.DockerState(podman));

    [Fact]
    public void Parse_PodmanStats_CpuMemoryNetwork()
    {
        var stats = DockerStats.Parse(Fixture("stats-healthy.json"));
        Assert.True(stats.CpuSeconds > 0);
        Assert.True(stats.MemoryUsage > 0);
        // podman reports no inactive_file: the working set is the usage.
        Assert.Equal(stats.MemoryUsage, stats.WorkingSet);
        Assert.Single(stats.Networks);
    }

    [Theory]
    [InlineData("\"stats\": { \"inactive_file\": 1000 }")] // Docker on cgroup v2
    [InlineData("\"stats\": { \"total_inactive_file\": 1000, \"cache\": 5000 }")] // Docker on cgroup v1
    public void Parse_DockerStats_WorkingSetIsUsageLessInactiveFile(string detail)
    {
        // The shape of Docker's memory_stats, as its Engine API reference documents it.
        var stats = DockerStats.Parse(JsonDocument.Parse($"{{ \"cpu_stats\": {{ \"cpu_usage\": {{ \"total_usage\": 2500000000 }} }}, \"memory_stats\": {{ \"usage\": 4096, \"limit\": 8192, {detail} }}, \"networks\": {{ \"eth0\": {{ \"rx_bytes\": 10, \"tx_bytes\": 20 }}, \"eth1\": {{ \"rx_bytes\": 1, \"tx_bytes\": 2 }} }} }}").RootElement);
        Assert.Equal((2.5, 4096.0, 3096.0), (stats.CpuSeconds!.Value, stats.MemoryUsage!.Value, stats.WorkingSet!.Value));
        Assert.Equal([("eth0", 10.0, 20.0), ("eth1", 1.0, 2.0)], stats.Networks);
    }

    [Fact]
    public void Parse_InactiveAboveUsage_WorkingSetZero()
    {
        var stats = DockerStats.Parse(JsonDocument.Parse("{ \"memory_stats\": { \"usage\": 100, \"stats\": { \"inactive_file\": 200 } } }").RootElement);
        Assert.Equal(0, stats.WorkingSet);
        Assert.Null(stats.CpuSeconds);
    }

    [Fact]
    public void Publish_Fixtures_SeriesUnderCadvisorAndMonitorNames()
    {
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "containers", new Dictionary<string, string> { ["team"] = "ops" });
        using var check = new DockerCheck(Options(new DockerCheckOptions()), scope, TimeProvider.System);
        var healthy = Container("healthy");
        var unhealthy = Container("unhealthy");
        var restarting = Container("restarting");
        var oom = Container("oom");
        var stats = DockerStats.Parse(Fixture("stats-healthy.json"));
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        check.Publish([(healthy, stats), (unhealthy, null), (restarting, null), (oom, null)], now);
        var s = Exposition.Samples(store);

        string h = Labels(healthy);
        Assert.Equal("1800000000", s[$"container_last_seen{{{h}}}"]);
        Assert.Equal("1", s[$"monitor_container_state{{{h},state=\"running\"}}"]);
        foreach (string state in new[] { "created", "paused", "restarting", "removing", "exited", "dead" })
        {
            Assert.Equal("0", s[$"monitor_container_state{{{h},state=\"{state}\"}}"]);
        }

        Assert.Equal("1", s[$"monitor_container_health{{{h},status=\"healthy\"}}"]);
        Assert.Equal("0", s[$"monitor_container_health{{{h},status=\"none\"}}"]);
        Assert.Equal("1", s[$"monitor_container_health{{{Labels(unhealthy)},status=\"unhealthy\"}}"]);
        Assert.Equal("1", s[$"monitor_container_health{{{Labels(restarting)},status=\"none\"}}"]);
        Assert.Equal("1", s[$"monitor_container_state{{{Labels(oom)},state=\"exited\"}}"]);
        Assert.Equal("137", s[$"monitor_container_exit_code{{{Labels(oom)}}}"]);
        Assert.Equal("0", s[$"monitor_container_oom_killed{{{Labels(oom)}}}"]);
        Assert.Equal("33554432", s[$"container_spec_memory_limit_bytes{{{Labels(oom)}}}"]);
        Assert.Equal("0", s[$"container_spec_memory_limit_bytes{{{h}}}"]);
        Assert.Equal(restarting.RestartCount.ToString(System.Globalization.CultureInfo.InvariantCulture), s[$"monitor_container_restarts_total{{{Labels(restarting)}}}"]);

        Assert.Equal(stats.CpuSeconds!.Value, double.Parse(s[$"container_cpu_usage_seconds_total{{{h},cpu=\"total\"}}"], System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal(stats.MemoryUsage!.Value, double.Parse(s[$"container_memory_usage_bytes{{{h}}}"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(stats.WorkingSet!.Value, double.Parse(s[$"container_memory_working_set_bytes{{{h}}}"], System.Globalization.CultureInfo.InvariantCulture));
        string iface = stats.Networks[0].Interface;
        Assert.Equal(stats.Networks[0].Received, double.Parse(s[$"container_network_receive_bytes_total{{{h},interface=\"{iface}\"}}"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(stats.Networks[0].Transmitted, double.Parse(s[$"container_network_transmit_bytes_total{{{h},interface=\"{iface}\"}}"], System.Globalization.CultureInfo.InvariantCulture));
        // Usage only for the running container that had stats.
        Assert.DoesNotContain($"container_memory_usage_bytes{{{Labels(oom)}}}", s.Keys);

        string text = Exposition.Text(store);
        Assert.Contains("# TYPE monitor_container_restarts_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE container_cpu_usage_seconds_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE container_memory_working_set_bytes gauge", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FakeEngine_ProjectFilterListsInspectsAndReadsStats_AndDropsRemovedContainers()
    {
        var healthy = File.ReadAllText(Repository.Fixture("docker", "inspect-healthy.json"));
        var oom = File.ReadAllText(Repository.Fixture("docker", "inspect-oom.json"));
        var ids = new[] { Container("healthy").Id, Container("oom").Id };
        string list = $"[{{\"Id\":\"{ids[0]}\"}},{{\"Id\":\"{ids[1]}\"}}]";
        await using var engine = FakeDockerEngine.Start(Path.Combine(_dir, "docker.sock"), path => path switch
        {
            _ when path.StartsWith("/containers/json?", StringComparison.Ordinal) => (200, list),
            _ when path == $"/containers/{ids[0]}/json" => (200, healthy),
            _ when path == $"/containers/{ids[1]}/json" => (200, oom),
            _ when path.StartsWith($"/containers/{ids[0]}/stats?stream=false", StringComparison.Ordinal) => (200, File.ReadAllText(Repository.Fixture("docker", "stats-healthy.json"))),
            _ => (404, "{\"message\":\"no such container\"}"),
        });
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "containers", new Dictionary<string, string> { ["team"] = "ops" });
        using var check = new DockerCheck(Options(new DockerCheckOptions { Socket = engine.Path, Project = "dkcap" }), scope, TimeProvider.System);

        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        Assert.Contains(engine.Requests, r => r == "/containers/json?all=true&filters=" + Uri.EscapeDataString("{\"label\":[\"com.docker.compose.project=dkcap\"]}"));
        Assert.DoesNotContain(engine.Requests, r => r.StartsWith($"/containers/{ids[1]}/stats", StringComparison.Ordinal));
        var s = Exposition.Samples(store);
        Assert.Contains($"container_memory_usage_bytes{{{Labels(Container("healthy"))}}}", s.Keys);
        Assert.Equal("1", s[$"monitor_container_state{{{Labels(Container("oom"))},state=\"exited\"}}"]);

        // The exited one is removed: its series go with it.
        list = $"[{{\"Id\":\"{ids[0]}\"}}]";
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        s = Exposition.Samples(store);
        Assert.DoesNotContain(s.Keys, k => k.Contains("dk-oom", StringComparison.Ordinal));
        Assert.Contains($"container_last_seen{{{Labels(Container("healthy"))}}}", s.Keys);
    }

    [Fact]
    public async Task Run_ManyContainers_InspectedConcurrently_AtMostTheBound()
    {
        string healthy = File.ReadAllText(Repository.Fixture("docker", "inspect-healthy.json"));
        string stats = File.ReadAllText(Repository.Fixture("docker", "stats-healthy.json"));
        string id = Container("healthy").Id;
        // 40 containers (the same one under 40 ids: the series are per name and id) answering 50 ms each.
        var ids = Enumerable.Range(0, 40).Select(i => i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + id[2..]).ToList();
        string list = "[" + string.Join(',', ids.Select(i => $"{{\"Id\":\"{i}\"}}")) + "]";
        await using var engine = FakeDockerEngine.Start(
            Path.Combine(_dir, "docker.sock"),
            path => path switch
            {
                _ when path.StartsWith("/containers/json?", StringComparison.Ordinal) => (200, list),
                _ when path.EndsWith("/json", StringComparison.Ordinal) => (200, healthy.Replace(id, path.Split('/')[2], StringComparison.Ordinal)),
                _ => (200, stats),
            },
            TimeSpan.FromMilliseconds(50));
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "containers", new Dictionary<string, string>());
        using var check = new DockerCheck(Options(new DockerCheckOptions { Socket = engine.Path }), scope, TimeProvider.System);
        var started = TimeProvider.System.GetTimestamp();
        var result = await check.RunAsync(CancellationToken.None);
        var took = TimeProvider.System.GetElapsedTime(started);
        Assert.True(result.Success, result.Error);
        Assert.Equal(40, Exposition.Samples(store).Keys.Count(k => k.StartsWith("container_last_seen{", StringComparison.Ordinal)));
        Assert.InRange(engine.MaxInFlight, 2, DockerCheck.Concurrency);
        // 81 requests of 50 ms one after another would be 4 s.
        Assert.True(took < TimeSpan.FromSeconds(3), $"{took.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Run_EngineError_StatusReasonWithTheDaemonsMessage()
    {
        await using var engine = FakeDockerEngine.Start(Path.Combine(_dir, "docker.sock"), _ => (500, "{\"message\":\"database is locked\"}"));
        using var scope = new SeriesScope(new SeriesStore(), "containers", new Dictionary<string, string>());
        using var check = new DockerCheck(Options(new DockerCheckOptions { Socket = engine.Path }), scope, TimeProvider.System);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal((FailureReasons.Status, "GET /containers/json: 500 database is locked"), (result.Reason, result.Error));
    }

    [Fact]
    public async Task Run_SocketMissing_NoSocketReasonNamingThePath()
    {
        string path = Path.Combine(_dir, "missing.sock");
        using var scope = new SeriesScope(new SeriesStore(), "containers", new Dictionary<string, string>());
        using var check = new DockerCheck(Options(new DockerCheckOptions { Socket = path }), scope, TimeProvider.System);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.NoSocket, result.Reason);
        Assert.StartsWith($"{path} does not exist", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SocketFileWithoutDaemon_ConnectionRefused()
    {
        string path = Path.Combine(_dir, "stale.sock");
        // Bound, never listening: the file is there and nothing accepts, as after a daemon died.
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path));

        using var scope = new SeriesScope(new SeriesStore(), "containers", new Dictionary<string, string>());
        using var check = new DockerCheck(Options(new DockerCheckOptions { Socket = path }), scope, TimeProvider.System);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.ConnectionRefused, result.Reason);
    }

    [Fact]
    public async Task Run_HungDaemon_TimesOutWithTheToken()
    {
        await using var engine = FakeDockerEngine.Start(Path.Combine(_dir, "docker.sock"), _ => (0, string.Empty)); // accepts, never answers
        using var scope = new SeriesScope(new SeriesStore(), "containers", new Dictionary<string, string>());
        using var check = new DockerCheck(Options(new DockerCheckOptions { Socket = engine.Path }), scope, TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = TimeProvider.System.GetTimestamp();
        var result = await check.RunAsync(cts.Token);
        Assert.Equal(FailureReasons.Timeout, result.Reason);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void PermissionDenied_NamesTheSocketsGroupAndGid()
    {
        // /etc/passwd belongs to root:root everywhere.
        Assert.Equal((0L, "root"), SocketOwner.GroupOf("/etc/passwd"));
        string group = Path.Combine(_dir, "group");
        File.WriteAllText(group, "root:x:0:\ndocker:x:999:alice\n");
        Assert.Equal("docker", SocketOwner.GroupName(999, group));
        Assert.Null(SocketOwner.GroupName(998, group));

        var failure = DockerClient.ConnectFailure("/etc/passwd", new SocketException((int)SocketError.AccessDenied));
        Assert.Equal(FailureReasons.PermissionDenied, failure.Reason);
        Assert.Contains("belongs to group root (gid 0)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("usermod -aG root", failure.Message, StringComparison.Ordinal);
        Assert.Contains("group_add: [\"999\"]", DockerClient.PermissionMessage("/var/run/docker.sock", (999, null)), StringComparison.Ordinal);
        Assert.Contains("group docker (gid 999)", DockerClient.PermissionMessage("/var/run/docker.sock", (999, "docker")), StringComparison.Ordinal);
    }

    private static ConfigLoadResult Parse(string docker) =>
        MonitorConfig.Parse($"checks:\n  - name: containers\n    docker: {docker}\n", "monitor.yaml", _ => null, p => throw new FileNotFoundException(p));

    [Fact]
    public void Read_DefaultsAndKeys()
    {
        var result = Parse("{}");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var docker = result.Options!.Checks[0].SettingsOf<DockerCheckOptions>();
        Assert.Equal(("/var/run/docker.sock", null, true), (docker.Socket, docker.Project, docker.IncludeStopped));

        result = Parse("{ socket: /run/podman/podman.sock, project: maxops, include_stopped: false }");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        docker = result.Options!.Checks[0].SettingsOf<DockerCheckOptions>();
        Assert.Equal(("/run/podman/podman.sock", "maxops", false), (docker.Socket, docker.Project, docker.IncludeStopped));
        Assert.Equal("unix:///run/podman/podman.sock project maxops", result.Options.Checks[0].Target);
        Assert.Equal("containers/json?all=false&filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3Dmaxops%22%5D%7D", DockerCheck.ListPath(docker));
    }

    [Theory]
    [InlineData("{ socket: docker.sock }", "checks[0].docker.socket: \"docker.sock\" must be an absolute path")]
    [InlineData("{ project: \"\" }", "checks[0].docker.project: must not be empty")]
    [InlineData("{ host: x }", "checks[0].docker: unknown key \"host\"")]
    public void Read_Invalid_NamesTheField(string docker, string expected)
    {
        var errors = Parse(docker).Errors.Select(e => e.ToString()).ToList();
        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)), string.Join("\n", errors));
    }
}
