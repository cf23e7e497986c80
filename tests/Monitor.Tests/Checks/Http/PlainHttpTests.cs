using System.Net;
using System.Net.Sockets;
using System.Text;
using Monitor.Checks;
using Monitor.Checks.Http;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Http;

/// <summary>
/// The hand-written HTTP/1.1 path for fresh plain-text connections is held to what SocketsHttpHandler makes of
/// the same responses: every probe series but the timings, the outcome and its reason, from Kestrel and from
/// servers that answer with exact bytes.
/// </summary>
public sealed class PlainHttpTests : IAsyncLifetime
{
    private TargetServer _server = null!;

    public async Task InitializeAsync() => _server = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly string[] Timings = ["probe_duration_seconds", "probe_http_duration_seconds", "probe_dns_lookup_time_seconds"];

    private static async Task<(CheckResult Result, Dictionary<string, string> Samples)> RunAsync(HttpCheckOptions http, bool handlerOnly)
    {
        var store = new SeriesStore();
        var options = new CheckOptions { Name = "t", Kind = HttpCheck.Kind, Settings = http, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) };
        using var scope = new SeriesScope(store, "t", new Dictionary<string, string>());
        using var check = new HttpCheck(options, scope, TimeProvider.System, handlerOnly);
        using var cts = new CancellationTokenSource(options.Timeout);
        var result = await check.RunAsync(cts.Token);
        var samples = Exposition.Samples(store).Where(s => !Timings.Any(t => s.Key.StartsWith(t + "{", StringComparison.Ordinal))).ToDictionary();
        return (result, samples);
    }

    private static async Task<(CheckResult Result, Dictionary<string, string> Samples)> AssertSameOnBothPathsAsync(HttpCheckOptions http)
    {
        var plain = await RunAsync(http, handlerOnly: false);
        var handler = await RunAsync(http, handlerOnly: true);
        Assert.Equal(handler.Result.Success, plain.Result.Success);
        Assert.Equal(handler.Result.Reason, plain.Result.Reason);
        Assert.Equal(handler.Samples.OrderBy(s => s.Key), plain.Samples.OrderBy(s => s.Key));
        return plain;
    }

    [Theory]
    [InlineData("GET", "/ok", null)]
    [InlineData("GET", "/fail", null)]
    [InlineData("GET", "/text", "systems")]
    [InlineData("GET", "/text", "absent")]
    [InlineData("GET", "/chunks", "status: ok")]
    [InlineData("GET", "/redirect/3", null)]
    [InlineData("GET", "/loop", null)]
    [InlineData("POST", "/see-other", null)]
    [InlineData("POST", "/echo", "yes|application/json|{\"a\":1}")]
    [InlineData("HEAD", "/ok", null)]
    public async Task Kestrel_SameSeriesAndOutcomeAsTheHandler(string method, string path, string? contains)
    {
        var http = new HttpCheckOptions
        {
            Url = _server.Url(path),
            Method = method,
            Body = method == "POST" ? "{\"a\":1}" : null,
            Headers = new Dictionary<string, string> { ["X-Test"] = "yes", ["Content-Type"] = "application/json" },
            Expect = new HttpExpectOptions { BodyContains = contains },
        };
        await AssertSameOnBothPathsAsync(http);
    }

    public static TheoryData<string, byte[], bool> Canned()
    {
        var data = new TheoryData<string, byte[], bool>();
        foreach (var (name, bytes, succeeds) in CannedHttpServer.Responses())
        {
            data.Add(name, bytes, succeeds);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Canned))]
    public async Task ExactBytes_SameSeriesAndOutcomeAsTheHandler(string name, byte[] response, bool succeeds)
    {
        await using var server = await CannedHttpServer.StartAsync(response);
        var http = new HttpCheckOptions { Url = new Uri($"http://127.0.0.1:{server.Port}/health"), Expect = new HttpExpectOptions { BodyContains = succeeds && !name.StartsWith("204", StringComparison.Ordinal) ? "systems ok" : null } };
        var (result, _) = await AssertSameOnBothPathsAsync(http);
        Assert.True(succeeds == result.Success, $"{name}: {result.Reason} {result.Error}");
        if (!succeeds && name != "503")
        {
            Assert.Equal(FailureReasons.Protocol, result.Reason);
        }
    }

    [Fact]
    public async Task HeadOverOneMebibyte_FailsAsProtocolOnBothPaths()
    {
        await using var server = await CannedHttpServer.StartAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 1100 * 1024) + "\r\nContent-Length: 0\r\n\r\n"));
        var (result, _) = await AssertSameOnBothPathsAsync(new HttpCheckOptions { Url = new Uri($"http://127.0.0.1:{server.Port}/") });
        Assert.Equal(FailureReasons.Protocol, result.Reason);
    }

    [Fact]
    public async Task Request_IsOneHttp11RequestThatClosesTheConnection()
    {
        await using var server = await CannedHttpServer.StartAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        var http = new HttpCheckOptions
        {
            Url = new Uri($"http://127.0.0.1:{server.Port}/health?full=1"),
            Method = "POST",
            Body = "ping",
            Headers = new Dictionary<string, string> { ["Host"] = "app.example", ["X-Team"] = "db" },
        };
        var (result, _) = await RunAsync(http, handlerOnly: false);
        Assert.True(result.Success, result.Error);
        string request = server.Requests.Single();
        Assert.StartsWith("POST /health?full=1 HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nHost: app.example\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Team: db\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nping", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeaderWithALineBreak_FailsTheRunWithoutSendingIt()
    {
        await using var server = await CannedHttpServer.StartAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        var http = new HttpCheckOptions
        {
            Url = new Uri($"http://127.0.0.1:{server.Port}/"),
            Headers = new Dictionary<string, string> { ["X-Evil"] = "a\r\nInjected: 1" },
        };
        var (result, _) = await RunAsync(http, handlerOnly: false);
        Assert.Equal(FailureReasons.Protocol, result.Reason);
        Assert.Contains("X-Evil", result.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }
}
