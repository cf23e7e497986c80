using System.Net;
using System.Net.Sockets;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Hosting;

/// <summary>
/// The real service failing to start: one clear line naming the setting, exit code 1, no stack trace; and a
/// PostgreSQL store that is down at start, which is not a start-up failure but a /readyz 503 until it comes up.
/// </summary>
public sealed class StartupFailureTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(string config, int port)
    {
        string dir = Tools.TempDirectory();
        string path = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(path, MonitorProcess.ConfigWithListen(config, port));
        return await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "run", "--config", path], timeout: TimeSpan.FromSeconds(60));
    }

    private static void AssertOneClearLine(string output, string expected)
    {
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListenPortBusy_ExitsOneNamingServerListen()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var (code, output) = await RunAsync("storage: { sqlite: monitor.db }\n", port);
        Assert.Equal(1, code);
        AssertOneClearLine(output, $"monitor: cannot start: server.listen \"127.0.0.1:{port}\": address already in use");
    }

    [Fact]
    public async Task SqlitePathIsADirectory_ExitsOneNamingStorageSqlite()
    {
        string directory = Tools.TempDirectory();
        var (code, output) = await RunAsync($"storage: {{ sqlite: \"{directory}\" }}\n", FreePort.Get());
        Assert.Equal(1, code);
        AssertOneClearLine(output, $"monitor: cannot start: storage.sqlite \"{directory}\":");
    }

    [Fact]
    public async Task PostgresDsnWithABadPort_IsAConfigErrorWithoutThePassword()
    {
        var (code, output) = await RunAsync("storage: { postgres: \"postgres://monitor:hunter2-secret@127.0.0.1:99999/alerts\" }\n", FreePort.Get());
        Assert.Equal(1, code);
        AssertOneClearLine(output, "storage.postgres: invalid DSN URI:");
        Assert.DoesNotContain("hunter2-secret", output, StringComparison.Ordinal);

        (code, output) = await RunAsync("storage: { postgres: \"host=127.0.0.1 port=99999 user=monitor password=hunter2-secret dbname=alerts\" }\n", FreePort.Get());
        Assert.Equal(1, code);
        AssertOneClearLine(output, "storage.postgres: invalid DSN: port \"99999\" is not a port number (1-65535)");
        Assert.DoesNotContain("hunter2-secret", output, StringComparison.Ordinal);
    }

    /// <summary>PostgreSQL down at start: the service runs, /readyz is 503 with the reason, and it becomes ready when the store comes up.</summary>
    [Fact]
    public async Task PostgresStoreStartedLate_NotReadyWithTheReason_ThenReady()
    {
        int pgPort = FreePort.Get();
        // A libpq key=value DSN: spaces separate the keys, the password never shows.
        string dsn = $"host=127.0.0.1 port={pgPort} user=postgres password={PostgresServer.SuperPassword} dbname=postgres sslmode=disable connect_timeout=2";
        await using var monitor = await MonitorProcess.StartAsync($"storage: {{ postgres: \"{dsn}\" }}\n", waitReady: false);
        string readyz = "";
        await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    using var response = await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/readyz"));
                    readyz = await response.Content.ReadAsStringAsync();
                    return response.StatusCode == HttpStatusCode.ServiceUnavailable && readyz.Contains("alert store unreachable", StringComparison.Ordinal);
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            TimeSpan.FromSeconds(60),
            () => $"/readyz said {readyz}\n{monitor.Output}");
        Assert.False(monitor.HasExited);
        Assert.DoesNotContain(PostgresServer.SuperPassword, monitor.Output, StringComparison.Ordinal);

        await using var postgres = await PostgresServer.StartAsync(pgPort);
        await Eventually.HoldsAsync(
            async () =>
            {
                using var response = await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/readyz"));
                readyz = await response.Content.ReadAsStringAsync();
                return response.IsSuccessStatusCode;
            },
            TimeSpan.FromSeconds(60),
            () => $"/readyz said {readyz}\n{monitor.Output}");
        // /readyz turns 200 as the store is opened; the line saying so is logged just after.
        await Eventually.HoldsAsync(
            () => Task.FromResult(monitor.Output.Contains("Alert store reachable again", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10),
            () => monitor.Output);
    }
}
