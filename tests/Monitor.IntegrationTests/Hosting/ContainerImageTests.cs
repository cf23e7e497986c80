using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Hosting;

/// <summary>
/// The repository's Dockerfile, built unchanged by buildah over local stand-ins of the .NET base images
/// (tests/container/), and the image run by podman with runc: /healthz and /metrics answer, the process is not
/// root, the HEALTHCHECK passes, SIGTERM stops it cleanly within 10 s, the alert store on the /data volume
/// outlives the container (a new container on the volume has the same alerts and silences), and an nvidia-smi that the NVIDIA runtime would inject on PATH is used.
/// </summary>
[Collection(ContainerImageDefinition.Name)]
public sealed class ContainerImageTests(ContainerImageFixture image)
{
    private const string Token = "image-test-token";

    [Fact]
    public async Task Image_IsNonRoot_WithHealthcheck_VolumeAndLabels()
    {
        var (code, output) = await Podman.RunAsync(["image", "inspect", image.Tag]);
        Assert.True(code == 0, output);
        using var document = JsonDocument.Parse(output);
        var config = document.RootElement[0].GetProperty("Config");

        string user = config.GetProperty("User").GetString()!;
        Assert.NotEqual("", user);
        Assert.NotEqual("0", user);
        Assert.NotEqual("root", user);
        Assert.True(config.GetProperty("Volumes").TryGetProperty("/data", out _), "no /data volume");
        Assert.True(config.GetProperty("ExposedPorts").TryGetProperty("9747/tcp", out _), "9747 not exposed");
        // podman reports the HEALTHCHECK beside the config, docker inside it.
        var healthcheck = document.RootElement[0].TryGetProperty("Healthcheck", out var h) ? h : config.GetProperty("Healthcheck");
        Assert.Contains("/healthz", healthcheck.GetProperty("Test").EnumerateArray().Select(t => t.GetString()).Last(), StringComparison.Ordinal);
        var labels = config.GetProperty("Labels");
        Assert.Equal(Monitor.Metrics.SelfMetrics.Version, labels.GetProperty("org.opencontainers.image.version").GetString());
        Assert.Equal("monitor", labels.GetProperty("org.opencontainers.image.title").GetString());
    }

    [Fact]
    public async Task DefaultConfig_AnswersHealthAndMetrics_AsNonRoot_AndStopsCleanlyOnSigterm()
    {
        int port = FreePort.Get();
        string name = "monitor-it-" + Guid.NewGuid().ToString("N")[..8];
        await using var container = await Container.StartAsync(name, image.Tag, ["-p", $"127.0.0.1:{port}:9747"], []);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        await Eventually.HoldsAsync(async () => (await http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), container.Describe);
        Assert.Equal("ok", (await http.GetStringAsync("/healthz")).Trim());

        // The default config probes the container's own /healthz: its probe_success turns 1 on the first run.
        await Eventually.HoldsAsync(
            async () => (await http.GetStringAsync("/metrics")).Contains("probe_success{check=\"monitor-self\",service=\"monitor\"} 1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(40),
            container.Describe);

        var (code, status) = await Podman.RunAsync(["exec", name, "cat", "/proc/1/status"]);
        Assert.True(code == 0, status);
        string uidLine = status.Split('\n').Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.DoesNotContain(uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1), uid => uid == "0");

        var (health, healthOutput) = await Podman.RunAsync(["healthcheck", "run", name]);
        Assert.True(health == 0, $"HEALTHCHECK failed: {healthOutput}");

        var stopwatch = Stopwatch.StartNew();
        var (killed, killOutput) = await Podman.RunAsync(["kill", "--signal", "TERM", name]);
        Assert.True(killed == 0, killOutput);
        var (waited, exitCode) = await Podman.RunAsync(["wait", name], TimeSpan.FromSeconds(30));
        stopwatch.Stop();
        Assert.True(waited == 0, exitCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"SIGTERM took {stopwatch.Elapsed.TotalSeconds:F1}s");
        Assert.Equal("0", exitCode.Trim());
        Assert.Contains("Monitor stopped", await container.LogsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertStoreOnTheDataVolume_OutlivesTheContainer_AndInjectedNvidiaSmiIsUsed()
    {
        string dir = Tools.TempDirectory();
        // The container's user reads these mounted files.
        OpenToAll(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "monitor.yaml"), """
            server:
              listen: 0.0.0.0:9747
              api_token_file: /run/secrets/api_token
              ack_secret: ${ACK_SECRET}
            storage: { sqlite: /data/monitor.db }
            defaults: { interval: 1s, timeout: 1s }
            checks:
              - { name: closed-port, tcp: { address: "127.0.0.1:1" }, labels: { service: nothing } }
              - { name: gpus, nvidia_smi: {}, interval: 2s }
            rule_files: [rules.yml]
            evaluation_interval: 1s
            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: image
                rules:
                  - alert: NothingListens
                    expr: probe_success{check="closed-port"} == 0
                    labels: { severity: P3 }
            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "api_token"), Token + "\n");
        // What the NVIDIA container runtime injects is /usr/bin/nvidia-smi; this one prints a real capture.
        File.Copy(Repository.Fixture("nvidia-smi", "nvidia-smi-2xH100.csv"), Path.Combine(dir, "capture.csv"));
        await File.WriteAllTextAsync(Path.Combine(dir, "nvidia-smi"), "#!/bin/sh\nexec cat /etc/monitor-test/capture.csv\n");
        OpenToAll(Path.Combine(dir, "nvidia-smi"));

        string volume = "monitor-it-data-" + Guid.NewGuid().ToString("N")[..8];
        string name = "monitor-it-" + Guid.NewGuid().ToString("N")[..8];
        int port = FreePort.Get();
        string[] runArguments =
        [
            "-p", $"127.0.0.1:{port}:9747",
            "-v", $"{volume}:/data",
            "-v", $"{dir}/monitor.yaml:/etc/monitor/test/monitor.yaml:ro",
            "-v", $"{dir}/rules.yml:/etc/monitor/test/rules.yml:ro",
            "-v", $"{dir}/api_token:/run/secrets/api_token:ro",
            "-v", $"{dir}/capture.csv:/etc/monitor-test/capture.csv:ro",
            "-v", $"{dir}/nvidia-smi:/usr/bin/nvidia-smi:ro",
            "-e", "ACK_SECRET=image-test-ack-secret",
        ];
        string[] command = ["run", "--config", "/etc/monitor/test/monitor.yaml"];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            JsonElement before;
            string silence;
            await using (var first = await Container.StartAsync(name, image.Tag, runArguments, command))
            {
                await Eventually.HoldsAsync(async () => (await http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), first.Describe);
                before = await FiringAsync(http, first);
                silence = await CreateSilenceAsync(http);

                // The GPU check runs on its own schedule: its first run may finish after the alert fired.
                string metrics = "";
                await Eventually.HoldsAsync(
                    async () => (metrics = await http.GetStringAsync("/metrics")).Contains("nvidia_smi_gpu_info{check=\"gpus\"", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30),
                    () => "the injected nvidia-smi's series never appeared:\n" + metrics);
                Assert.Contains("nvidia_smi_temperature_gpu{check=\"gpus\"", metrics, StringComparison.Ordinal);
            }

            // A new container on the same volume: only /data carries the store across.
            await using var second = await Container.StartAsync(name + "-2", image.Tag, runArguments, command);
            await Eventually.HoldsAsync(async () => (await http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), second.Describe);

            // The same episode, with its original times, came back from /data/monitor.db: a new one would have new times.
            JsonElement after = await FiringAsync(http, second);
            Assert.Equal(before.GetProperty("fingerprint").GetString(), after.GetProperty("fingerprint").GetString());
            Assert.Equal(before.GetProperty("since").GetString(), after.GetProperty("since").GetString());
            Assert.Equal(before.GetProperty("fired_at").GetString(), after.GetProperty("fired_at").GetString());
            string silences = await http.GetStringAsync("/api/v1/silences");
            Assert.Contains(silence, silences, StringComparison.Ordinal);
        }
        finally
        {
            await Podman.RunAsync(["volume", "rm", "-f", volume]);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>rwxr-xr-x, so the container's user (uid 1654) can read and run what the test mounts.</summary>
    private static void OpenToAll(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }

    private static async Task<JsonElement> FiringAsync(HttpClient http, Container container)
    {
        JsonElement alert = default;
        await Eventually.HoldsAsync(async () =>
        {
            using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/alerts"));
            var firing = document.RootElement.GetProperty("alerts").EnumerateArray()
                .Where(a => a.GetProperty("state").GetString() == "firing" && a.GetProperty("labels").GetProperty("alertname").GetString() == "NothingListens")
                .ToList();
            if (firing.Count == 1)
            {
                alert = firing[0].Clone();
            }

            return firing.Count == 1;
        }, TimeSpan.FromSeconds(60), container.Describe);
        return alert;
    }

    private static async Task<string> CreateSilenceAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/silences")
        {
            Content = new StringContent(
                """{"matchers": {"service": "other"}, "endsAt": "2099-01-01T00:00:00Z", "createdBy": "image-test", "comment": "kept across restarts"}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("silenceID").GetString()!;
    }

    /// <summary>A container started detached and removed on dispose.</summary>
    private sealed class Container : IAsyncDisposable
    {
        private Container(string name) => Name = name;

        public string Name { get; }

        private string _logs = "";

        public static async Task<Container> StartAsync(string name, string image, IEnumerable<string> runArguments, IEnumerable<string> command)
        {
            // The healthcheck's timer would need systemd; `podman healthcheck run` runs it on demand.
            var (code, output) = await Podman.RunAsync(["run", "-d", "--name", name, "--health-interval", "disable", .. runArguments, image, .. command]);
            Assert.True(code == 0, $"podman run failed: {output}");
            return new Container(name);
        }

        public async Task<string> LogsAsync()
        {
            var (_, output) = await Podman.RunAsync(["logs", Name]);
            _logs = output;
            return output;
        }

        public string Describe()
        {
            _ = LogsAsync().Wait(TimeSpan.FromSeconds(10));
            return $"container {Name} logs:\n{_logs}";
        }

        public async ValueTask DisposeAsync() => await Podman.RunAsync(["rm", "-f", "--volumes", "--time", "2", Name]);
    }
}

/// <summary>podman, as root (directly or through sudo -n), with the settings of tests/container/containers.conf.</summary>
internal static class Podman
{
    private static readonly string Settings = Repository.File("tests/container/containers.conf");

    public static Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null) => Root(Tools.Require("podman", "podman"), arguments, timeout);

    /// <summary>A long-running podman command (a service) as root, with the same settings; killed on dispose.</summary>
    public static ExternalProcess Start(string executable, IEnumerable<string> arguments) =>
        EffectiveUserId() == 0
            ? new ExternalProcess(executable, arguments, new Dictionary<string, string> { ["CONTAINERS_CONF"] = Settings })
            : new ExternalProcess("sudo", ["-n", $"CONTAINERS_CONF={Settings}", executable, .. arguments]);

    /// <summary>Runs a command as root: directly when this process is root, else through sudo -n (never a password prompt).</summary>
    public static Task<(int ExitCode, string Output)> Root(string executable, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        if (EffectiveUserId() == 0)
        {
            return ExternalProcess.RunAsync(executable, arguments, timeout: timeout, environment: new Dictionary<string, string> { ["CONTAINERS_CONF"] = Settings });
        }

        // sudo resets HOME: the build's NuGet package folder stays this user's.
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return ExternalProcess.RunAsync("sudo", ["-n", $"CONTAINERS_CONF={Settings}", $"NUGET_PACKAGES={packages}", executable, .. arguments], timeout: timeout);
    }

    private static int EffectiveUserId() =>
        int.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
}

/// <summary>Builds the image once for the tests of the collection (the base images are cached by their inputs).</summary>
public sealed class ContainerImageFixture : IAsyncLifetime
{
    public string Tag { get; private set; } = "";

    public TimeSpan BuildTime { get; private set; }

    public async Task InitializeAsync()
    {
        Tools.Require("buildah", "buildah");
        Tools.Require("podman", "podman");
        Tools.Require("runc", "runc");
        Tools.Require("debootstrap", "debootstrap");
        var stopwatch = Stopwatch.StartNew();
        var (code, output) = await Podman.Root(Repository.File("tests/container/build-image.sh"), [], TimeSpan.FromMinutes(20));
        BuildTime = stopwatch.Elapsed;
        Assert.True(code == 0, $"tests/container/build-image.sh failed ({code}):\n{output}");
        Tag = output.Trim().Split('\n').Last().Trim();
        Assert.StartsWith("localhost/monitor:", Tag, StringComparison.Ordinal);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class ContainerImageDefinition : ICollectionFixture<ContainerImageFixture>
{
    public const string Name = "container image";
}
