using System.Globalization;
using Monitor.Checks.Http;
using Monitor.Configuration;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Checks;

/// <summary>
/// The http check against Debian's blackbox_exporter 0.23 probing the same targets in the same run: Kestrel's
/// answers and exact-byte ones (compressed, chunked, HTTP/1.0, interim responses, broken ones). Monitor's default
/// path for these is its own HTTP/1.1 exchange (<see cref="PlainHttp"/>), so this holds that path to the peer.
/// </summary>
public sealed class HttpCheckBlackboxTests : IAsyncLifetime
{
    /// <summary>The series compared: all of blackbox's HTTP prober's but the timings.</summary>
    private static readonly string[] Compared =
    [
        "probe_success", "probe_http_status_code", "probe_http_redirects", "probe_http_ssl", "probe_http_version",
        "probe_failed_due_to_regex", "probe_http_content_length",
    ];

    private TargetServer _server = null!;
    private ExternalProcess _blackbox = null!;
    private string _dir = null!;
    private int _port;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync()
    {
        _server = await TargetServer.StartAsync();
        _dir = Tools.TempDirectory();
        string config = Path.Combine(_dir, "blackbox.yml");
        await File.WriteAllTextAsync(config, """
            modules:
              plain:
                prober: http
                timeout: 5s
                http: { preferred_ip_protocol: ip4 }
              body:
                prober: http
                timeout: 5s
                http: { preferred_ip_protocol: ip4, fail_if_body_not_matches_regexp: ["systems ok"] }
            """);
        _port = FreePort.Get();
        _blackbox = new ExternalProcess(Tools.Require("prometheus-blackbox-exporter", "prometheus-blackbox-exporter"), ["--config.file=" + config, $"--web.listen-address=127.0.0.1:{_port}"]);
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                return (await _http.GetAsync(new Uri($"http://127.0.0.1:{_port}/-/healthy"))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), () => _blackbox.Output);
    }

    public async Task DisposeAsync()
    {
        _blackbox.Dispose();
        await _server.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<Dictionary<string, double>> OursAsync(Uri url, string? contains)
    {
        var store = new SeriesStore();
        var http = new HttpCheckOptions { Url = url, Expect = new HttpExpectOptions { BodyContains = contains } };
        var options = new CheckOptions { Name = "t", Kind = HttpCheck.Kind, Settings = http, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) };
        using var scope = new SeriesScope(store, "t", new Dictionary<string, string>());
        using var check = new HttpCheck(options, scope, TimeProvider.System);
        using var cts = new CancellationTokenSource(options.Timeout);
        await check.RunAsync(cts.Token);
        return Exposition.Samples(store).ToDictionary(s => s.Key.Replace("{check=\"t\"}", string.Empty, StringComparison.Ordinal), s => double.Parse(s.Value, CultureInfo.InvariantCulture));
    }

    private async Task<Dictionary<string, double>> TheirsAsync(Uri url, string module)
    {
        string text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{_port}/probe?module={module}&target={Uri.EscapeDataString(url.ToString())}"));
        return text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private async Task<List<string>> DifferencesAsync(string what, Uri url, bool matchBody, params string[] except)
    {
        var ours = await OursAsync(url, matchBody ? "systems ok" : null);
        var theirs = await TheirsAsync(url, matchBody ? "body" : "plain");
        var differences = new List<string>();
        foreach (string name in Compared.Except(except))
        {
            bool a = ours.TryGetValue(name, out double mine), b = theirs.TryGetValue(name, out double blackbox);
            if (a != b || (a && !mine.Equals(blackbox)))
            {
                differences.Add($"{what}: {name} Monitor {(a ? mine.ToString(CultureInfo.InvariantCulture) : "absent")}, blackbox_exporter {(b ? blackbox.ToString(CultureInfo.InvariantCulture) : "absent")}");
            }
        }

        return differences;
    }

    [Fact]
    public async Task Kestrel_SameSeriesAsBlackboxExporter023()
    {
        var differences = new List<string>();
        foreach (var (path, body) in new[] { ("/ok", false), ("/fail", false), ("/text", true), ("/ok", true), ("/chunks", true), ("/redirect/3", false), ("/loop", false) })
        {
            var url = new Uri($"http://127.0.0.1:{_server.Url("/").Port}{path}");
            differences.AddRange(await DifferencesAsync($"{path}{(body ? " body" : string.Empty)}", url, body));
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public async Task ExactBytes_SameSeriesAsBlackboxExporter023()
    {
        var differences = new List<string>();
        foreach (var (name, bytes, _) in CannedHttpServer.Responses())
        {
            await using var server = await CannedHttpServer.StartAsync(bytes);
            // The one difference on purpose: a body sent compressed though nobody asked for it (neither sends
            // Accept-Encoding) is decoded before Monitor's body check; blackbox_exporter 0.23 matches its regexp against
            // the compressed bytes and fails.
            string[] except = name.StartsWith("gzip", StringComparison.Ordinal) || name.StartsWith("deflate", StringComparison.Ordinal)
                ? ["probe_success", "probe_failed_due_to_regex"]
                : [];
            differences.AddRange(await DifferencesAsync(name, new Uri($"http://127.0.0.1:{server.Port}/health"), !name.StartsWith("204", StringComparison.Ordinal), except));
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }
}
