using System.Globalization;
using System.Text.Json;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>A real Prometheus (Debian's 2.42) with its own config and TSDB in a temp directory.</summary>
internal sealed class PrometheusServer : IDisposable
{
    private readonly ExternalProcess _process;
    private readonly string _directory;

    private PrometheusServer(ExternalProcess process, string directory, Uri baseUri)
    {
        _process = process;
        _directory = directory;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public string Output => _process.Output;

    public HttpClient Http { get; } = new();

    public static async Task<PrometheusServer> StartAsync(string scrapeConfigs)
    {
        string dir = Tools.TempDirectory();
        int port = FreePort.Get();
        string config = $"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n{scrapeConfigs}";
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), config);
        var process = new ExternalProcess(Tools.Prometheus, [
            "--config.file=" + Path.Combine(dir, "prometheus.yml"),
            "--storage.tsdb.path=" + Path.Combine(dir, "data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        ]);
        var server = new PrometheusServer(process, dir, new Uri($"http://127.0.0.1:{port}"));
        await Eventually.HoldsAsync(
            async () => !process.HasExited && (await server.Http.GetAsync(new Uri(server.BaseUri, "/-/ready"))).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60),
            () => $"Prometheus did not become ready:\n{process.Output}");
        return server;
    }

    /// <summary>An instant query; each result as (labels, value).</summary>
    public async Task<List<(Dictionary<string, string> Labels, string Value)>> QueryAsync(string promql)
    {
        string json = await Http.GetStringAsync(new Uri(BaseUri, "/api/v1/query?query=" + Uri.EscapeDataString(promql)));
        using var doc = JsonDocument.Parse(json);
        var results = new List<(Dictionary<string, string>, string)>();
        foreach (var item in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            results.Add((labels, item.GetProperty("value")[1].GetString()!));
        }

        return results;
    }

    public void Dispose()
    {
        _process.Dispose();
        Http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
