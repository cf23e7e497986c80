using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;

namespace Monitor.IntegrationTests.Hosting;

/// <summary>The real executable: SIGHUP and POST /-/reload, the old config kept on error, and the CLI.</summary>
public sealed class ReloadAndCommandLineTests
{
    private const string Token = "it-token-6f1c";

    private static async Task<string[]> CheckNamesAsync(MonitorProcess monitor)
    {
        using var doc = JsonDocument.Parse(await monitor.GetStringAsync("/api/v1/checks"));
        return [.. doc.RootElement.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];
    }

    private static async Task<HttpResponseMessage> ReloadAsync(MonitorProcess monitor, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(monitor.BaseUri, "/-/reload"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await monitor.Http.SendAsync(request);
    }

    [Fact]
    public async Task Reload_SighupAndPost_ApplyValidConfig_AndKeepTheOldOneOnError()
    {
        const string first = """
            server:
              api_token: ${TEST_API_TOKEN}
            checks:
              - name: self
                tcp: { address: "127.0.0.1:1" }
                interval: 1s

            """;
        await using var monitor = await MonitorProcess.StartAsync(first, new Dictionary<string, string> { ["TEST_API_TOKEN"] = Token });
        Assert.Equal(["self"], await CheckNamesAsync(monitor));

        // SIGHUP with a new check added.
        await File.WriteAllTextAsync(monitor.ConfigPath, MonitorProcess.ConfigWithListen(first + "  - name: added\n    disk: {}\n", monitor.Port));
        monitor.Signal("HUP");
        await Eventually.HoldsAsync(async () => (await CheckNamesAsync(monitor)).Contains("added"), TimeSpan.FromSeconds(20), () => monitor.Output + string.Join("\n", File.ReadAllLines($"/proc/{monitor.Pid}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal))));

        // An invalid file is rejected with every error, and the running config stays.
        await File.WriteAllTextAsync(monitor.ConfigPath, MonitorProcess.ConfigWithListen(first + "  - name: broken\n    http: { url: nope }\n    intervall: 5s\n", monitor.Port));
        using (var unauthorised = await ReloadAsync(monitor, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.StatusCode);
            Assert.Contains("\"status\":\"error\"", await unauthorised.Content.ReadAsStringAsync());
        }

        using (var wrong = await ReloadAsync(monitor, "nope"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var rejected = await ReloadAsync(monitor, Token))
        {
            Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
            string body = await rejected.Content.ReadAsStringAsync();
            Assert.Contains("monitor.yaml:10:5: checks[1]: unknown key \\\"intervall\\\"", body);
            Assert.Contains("monitor.yaml:9:18: checks[1].http.url: invalid URL \\\"nope\\\"", body);
            Assert.DoesNotContain(Token, body);
        }

        Assert.Equal(["added", "self"], await CheckNamesAsync(monitor));
        string metrics = await monitor.GetStringAsync("/metrics");
        Assert.Contains("monitor_config_last_reload_successful 0", metrics);
        Assert.DoesNotContain(Token, monitor.Output);

        // Fixing the file and reloading through the API recovers.
        await File.WriteAllTextAsync(monitor.ConfigPath, MonitorProcess.ConfigWithListen(first, monitor.Port));
        using (var ok = await ReloadAsync(monitor, Token))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(["self"], await CheckNamesAsync(monitor));
        Assert.Contains("monitor_config_last_reload_successful 1", await monitor.GetStringAsync("/metrics"));
        Assert.DoesNotContain("check=\"added\"", await monitor.GetStringAsync("/metrics"));
    }

    /// <summary>
    /// Under nohup SIGHUP arrives ignored (SigIgn bit 0 of /proc/PID/status); the reload must still happen, as it does
    /// for Prometheus, whose Go runtime takes an ignored signal back when it is asked for.
    /// </summary>
    [Fact]
    public async Task Reload_Sighup_WorksWhenStartedUnderNohup()
    {
        const string first = """
            checks:
              - name: self
                tcp: { address: "127.0.0.1:1" }
                interval: 1s

            """;
        await using var monitor = await MonitorProcess.StartAsync(first, launcher: "nohup");
        Assert.Equal(["self"], await CheckNamesAsync(monitor));
        await File.WriteAllTextAsync(monitor.ConfigPath, MonitorProcess.ConfigWithListen(first + "  - name: added\n    disk: {}\n", monitor.Port));
        monitor.Signal("HUP");
        await Eventually.HoldsAsync(async () => (await CheckNamesAsync(monitor)).Contains("added"), TimeSpan.FromSeconds(30), () => monitor.Output + string.Join("\n", File.ReadAllLines($"/proc/{monitor.Pid}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal))));
        Assert.False(monitor.HasExited);
    }

    [Fact]
    public async Task Reload_HostileFiles_AreA400WithThePlace_AndTheProcessAndItsConfigStay()
    {
        const string first = """
            server:
              api_token: ${TEST_API_TOKEN}
            checks:
              - name: self
                tcp: { address: "127.0.0.1:1" }
                interval: 1s

            """;
        await using var monitor = await MonitorProcess.StartAsync(first, new Dictionary<string, string> { ["TEST_API_TOKEN"] = Token });
        var laughs = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++)
        {
            laughs.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var hostile = new (string Yaml, string Error)[]
        {
            (first + "x: " + new string('[', 100_000) + new string(']', 100_000) + "\n", "invalid YAML: nested more than 64 levels deep"),
            (first + "x: &a\n  y: *a\n", "invalid YAML: alias *a is inside the node &a it refers to (a cycle)"),
            (first + laughs, "invalid YAML: aliases expand the document to more than 1000000 nodes"),
            (first.Replace("interval: 1s", "interval: 20000y", StringComparison.Ordinal), "checks[0].interval: duration \\\"20000y\\\" is longer than the maximum 10y"),
        };
        foreach (var (yaml, error) in hostile)
        {
            await File.WriteAllTextAsync(monitor.ConfigPath, MonitorProcess.ConfigWithListen(yaml, monitor.Port));
            using var rejected = await ReloadAsync(monitor, Token);
            string body = await rejected.Content.ReadAsStringAsync();
            Assert.True(rejected.StatusCode == HttpStatusCode.BadRequest, $"{rejected.StatusCode}: {body}");
            Assert.Contains(error, body);
            Assert.Matches(@"monitor\.yaml:\d+:\d+: ", body);
            Assert.Equal(["self"], await CheckNamesAsync(monitor));
        }

        Assert.Contains("\"interval_seconds\":1,", await monitor.GetStringAsync("/api/v1/checks"));
    }

    [Fact]
    public async Task Reload_WithoutApiToken_IsForbidden()
    {
        await using var monitor = await MonitorProcess.StartAsync("checks: []\n");
        using var response = await ReloadAsync(monitor, "anything");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task CheckConfig_PrintsEveryErrorOrOk()
    {
        string dir = Tools.TempDirectory();
        string bad = Path.Combine(dir, "bad.yaml");
        await File.WriteAllTextAsync(bad, "defaults: { interval: soon }\nchecks:\n  - name: x\n    tcp: { address: nope }\n    colour: red\n");
        var (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "check-config", "--config", bad]);
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{bad}:1:23: defaults.interval: invalid duration \"soon\"", lines[0]);
        Assert.StartsWith($"{bad}:4:21: checks[0].tcp.address: invalid address \"nope\"", lines[1]);
        Assert.StartsWith($"{bad}:5:5: checks[0]: unknown key \"colour\"", lines[2]);

        string good = Path.Combine(dir, "good.yaml");
        await File.WriteAllTextAsync(good, "checks:\n  - name: x\n    disk: {}\n");
        (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "check-config"], environment: new Dictionary<string, string> { ["MONITOR_CONFIG"] = good });
        Assert.Equal(0, code);
        Assert.Equal("OK", output.Trim());

        (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "--version"]);
        Assert.Equal(0, code);
        Assert.StartsWith("monitor ", output);

        // An invalid config stops start-up with its errors.
        (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "run", "--config", bad]);
        Assert.Equal(1, code);
        Assert.Contains("not starting", output);
        Assert.Contains("invalid duration \"soon\"", output);
        Directory.Delete(dir, recursive: true);
    }
}
