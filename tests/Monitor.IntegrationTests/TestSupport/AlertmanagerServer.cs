using System.Globalization;
using System.Text;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>A real Alertmanager (Debian's 0.25) with its own config and storage in a temp directory, clustering off.</summary>
internal sealed class AlertmanagerServer : IAsyncDisposable
{
    private readonly string _directory;
    private ExternalProcess _process;

    private AlertmanagerServer(ExternalProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        BaseUri = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }

    public Uri BaseUri { get; }

    public string Output => _process.Output;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static string Binary => Tools.Require("prometheus-alertmanager", "prometheus-alertmanager");

    public static async Task<AlertmanagerServer> StartAsync(string config, string? directory = null, int? port = null)
    {
        string dir = directory ?? Tools.TempDirectory();
        int listen = port ?? FreePort.Get();
        await File.WriteAllTextAsync(Path.Combine(dir, "alertmanager.yml"), config);
        var server = new AlertmanagerServer(Launch(dir, listen), dir, listen);
        await server.WaitReadyAsync();
        return server;
    }

    private static ExternalProcess Launch(string dir, int port) => new(Binary, [
        "--config.file=" + Path.Combine(dir, "alertmanager.yml"),
        "--storage.path=" + Path.Combine(dir, "data"),
        "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
        "--cluster.listen-address=",
        "--log.level=warn",
    ]);

    private Task WaitReadyAsync() => Eventually.HoldsAsync(
        async () => !_process.HasExited && (await Http.GetAsync(new Uri(BaseUri, "/-/ready"))).IsSuccessStatusCode,
        TimeSpan.FromSeconds(30),
        () => "Alertmanager did not become ready:\n" + _process.Output);

    /// <summary>Kills it with SIGKILL and starts it again on the same storage.</summary>
    public async Task CrashAndRestartAsync(bool waitReady = true)
    {
        _process.Signal("KILL");
        await _process.WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        _process = Launch(_directory, Port);
        if (waitReady)
        {
            await WaitReadyAsync();
        }
    }

    /// <summary>POST /api/v2/alerts, as Prometheus pushes.</summary>
    public async Task PushAsync(string alertsJson)
    {
        using var response = await Http.PostAsync(new Uri(BaseUri, "/api/v2/alerts"), new StringContent(alertsJson, Encoding.UTF8, "application/json"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Alertmanager refused the alerts: {(int)response.StatusCode} {body}");
    }

    public async ValueTask DisposeAsync()
    {
        _process.Dispose();
        Http.Dispose();
        await Task.CompletedTask;
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
