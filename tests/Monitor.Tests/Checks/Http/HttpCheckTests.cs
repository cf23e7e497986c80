using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Checks;
using Monitor.Checks.Http;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Http;

public sealed class HttpCheckTests : IAsyncLifetime
{
    private TargetServer _server = null!;

    public async Task InitializeAsync() => _server = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<(CheckResult Result, Dictionary<string, string> Samples)> RunAsync(HttpCheckOptions http, TimeSpan? timeout = null)
    {
        var store = new SeriesStore();
        var options = new CheckOptions { Name = "t", Kind = HttpCheck.Kind, Settings = http, Interval = TimeSpan.FromSeconds(30), Timeout = timeout ?? TimeSpan.FromSeconds(5) };
        using var scope = new SeriesScope(store, "t", new Dictionary<string, string>());
        using var check = new HttpCheck(options, scope, TimeProvider.System);
        using var cts = new CancellationTokenSource(options.Timeout);
        var result = await check.RunAsync(cts.Token);
        return (result, Exposition.Samples(store));
    }

    private HttpCheckOptions Http(string path, HttpExpectOptions? expect = null) =>
        new() { Url = _server.Url(path), Expect = expect ?? new HttpExpectOptions() };

    [Fact]
    public async Task Run_Healthy_SucceedsWithBlackboxSeries()
    {
        var (result, s) = await RunAsync(Http("/ok"));
        Assert.True(result.Success, result.Error);
        Assert.Equal("1", s["probe_success{check=\"t\"}"]);
        Assert.Equal("200", s["probe_http_status_code{check=\"t\"}"]);
        Assert.Equal("1.1", s["probe_http_version{check=\"t\"}"]);
        Assert.Equal("0", s["probe_http_ssl{check=\"t\"}"]);
        Assert.Equal("0", s["probe_http_redirects{check=\"t\"}"]);
        Assert.Equal("0", s["probe_failed_due_to_regex{check=\"t\"}"]);
        foreach (string phase in new[] { "resolve", "connect", "tls", "processing", "transfer" })
        {
            Assert.True(double.Parse(s[$"probe_http_duration_seconds{{check=\"t\",phase=\"{phase}\"}}"], System.Globalization.CultureInfo.InvariantCulture) >= 0);
        }

        Assert.True(double.Parse(s["probe_duration_seconds{check=\"t\"}"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(double.Parse(s["probe_http_duration_seconds{check=\"t\",phase=\"connect\"}"], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Run_Status500_FailsWithStatusReason()
    {
        var (result, s) = await RunAsync(Http("/fail"));
        Assert.Equal(FailureReasons.Status, result.Reason);
        Assert.Equal("0", s["probe_success{check=\"t\"}"]);
        Assert.Equal("500", s["probe_http_status_code{check=\"t\"}"]);
    }

    [Fact]
    public async Task Run_ExpectedStatusList_Accepts500()
    {
        var (result, _) = await RunAsync(Http("/fail", new HttpExpectOptions { Status = [500, 503] }));
        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task Run_BodyJsonDottedPaths_Match()
    {
        var expect = new HttpExpectOptions
        {
            BodyJson = new Dictionary<string, string> { ["status"] = "healthy", ["data.items.0.v"] = "1", ["data.items.0.up"] = "true" },
        };
        var (result, _) = await RunAsync(Http("/ok", expect));
        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task Run_BodyJsonMismatch_FailsWithBodyJson()
    {
        var (result, s) = await RunAsync(Http("/unhealthy", new HttpExpectOptions { BodyJson = new Dictionary<string, string> { ["status"] = "healthy" } }));
        Assert.Equal(FailureReasons.BodyJson, result.Reason);
        Assert.Equal("status: got \"degraded\", expected healthy", result.Error);
        Assert.Equal("1", s["probe_failed_due_to_regex{check=\"t\"}"]);
        Assert.Equal("200", s["probe_http_status_code{check=\"t\"}"]);
    }

    [Theory]
    [InlineData("data.items.5.v", "not found")]
    [InlineData("nope", "not found")]
    public async Task Run_BodyJsonMissingPath_Fails(string path, string expected)
    {
        var (result, _) = await RunAsync(Http("/ok", new HttpExpectOptions { BodyJson = new Dictionary<string, string> { [path] = "1" } }));
        Assert.Equal(FailureReasons.BodyJson, result.Reason);
        Assert.Contains(expected, result.Error);
    }

    [Fact]
    public async Task Run_BodyJsonOnNonJson_Fails()
    {
        var (result, _) = await RunAsync(Http("/text", new HttpExpectOptions { BodyJson = new Dictionary<string, string> { ["a"] = "1" } }));
        Assert.Equal(FailureReasons.BodyJson, result.Reason);
        Assert.StartsWith("body is not JSON", result.Error);
    }

    [Fact]
    public async Task Run_BodyContains_SearchesOnlyTheFirstMaxBodyBytes_AndSaysTheBodyWasCut()
    {
        Assert.True((await RunAsync(Http("/text", new HttpExpectOptions { BodyContains = "all sys", MaxBodyBytes = 8 }))).Result.Success);
        var (result, _) = await RunAsync(Http("/text", new HttpExpectOptions { BodyContains = "systems ok", MaxBodyBytes = 8 }));
        Assert.Equal(FailureReasons.BodyContains, result.Reason);
        Assert.Equal("body does not contain \"systems ok\" (only the first 8 of the body's 14 bytes were searched: expect.max_body_bytes)", result.Error);
    }

    [Fact]
    public async Task Run_BodyContains_NeverMatchesAcrossADroppedChunk()
    {
        // 5 + 65536 + 10 bytes; 1 KiB kept: "head xxx…", never "head " + "status: ok".
        var (result, _) = await RunAsync(Http("/chunks", new HttpExpectOptions { BodyContains = "status: ok", MaxBodyBytes = 1024 }));
        Assert.False(result.Success);
        Assert.Contains("only the first 1024 of the body's 65551 bytes were searched", result.Error, StringComparison.Ordinal);
        Assert.True((await RunAsync(Http("/chunks", new HttpExpectOptions { BodyContains = "status: ok" }))).Result.Success); // within the 4 MiB default
    }

    [Fact]
    public async Task Run_BodyContains_PassesAndFails()
    {
        Assert.True((await RunAsync(Http("/text", new HttpExpectOptions { BodyContains = "systems ok" }))).Result.Success);
        var (result, _) = await RunAsync(Http("/text", new HttpExpectOptions { BodyContains = "all good" }));
        Assert.Equal(FailureReasons.BodyContains, result.Reason);
    }

    [Fact]
    public async Task Run_SlowerThanMaxResponseTime_Fails()
    {
        var (result, _) = await RunAsync(Http("/slow", new HttpExpectOptions { MaxResponseTime = TimeSpan.FromMilliseconds(100) }));
        Assert.Equal(FailureReasons.ResponseTime, result.Reason);
        Assert.True((await RunAsync(Http("/slow", new HttpExpectOptions { MaxResponseTime = TimeSpan.FromSeconds(3) }))).Result.Success);
    }

    [Fact]
    public async Task Run_Hanging_TimesOutWithoutWaitingForTheServer()
    {
        var started = TimeProvider.System.GetTimestamp();
        var (result, s) = await RunAsync(Http("/hang"), TimeSpan.FromMilliseconds(300));
        Assert.Equal(FailureReasons.Timeout, result.Reason);
        Assert.Equal("0", s["probe_success{check=\"t\"}"]);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Run_Redirects_AreFollowedAndCounted()
    {
        var (result, s) = await RunAsync(Http("/redirect/3"));
        Assert.True(result.Success, result.Error);
        Assert.Equal("3", s["probe_http_redirects{check=\"t\"}"]);
        Assert.Equal("200", s["probe_http_status_code{check=\"t\"}"]);
    }

    [Fact]
    public async Task Run_RedirectLoop_StopsAfterTen()
    {
        var (result, _) = await RunAsync(Http("/loop"));
        Assert.Equal(FailureReasons.Redirects, result.Reason);
    }

    [Fact]
    public async Task Run_FollowRedirectsOff_Reports302()
    {
        var (result, s) = await RunAsync(Http("/redirect/1") with { FollowRedirects = false });
        Assert.Equal(FailureReasons.Status, result.Reason);
        Assert.Equal("302", s["probe_http_status_code{check=\"t\"}"]);
        Assert.True((await RunAsync(Http("/redirect/1", new HttpExpectOptions { Status = [302] }) with { FollowRedirects = false })).Result.Success);
    }

    [Fact]
    public async Task Run_PostWithHeadersAndBody_SendsThem()
    {
        var http = Http("/echo", new HttpExpectOptions { BodyContains = "yes|application/json|{\"a\":1}" }) with
        {
            Method = "POST",
            Body = "{\"a\":1}",
            Headers = new Dictionary<string, string> { ["X-Test"] = "yes", ["Content-Type"] = "application/json" },
        };
        var (result, _) = await RunAsync(http);
        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task Run_ConnectionRefused_IsClassified()
    {
        int port = FreePort.Get();
        var (result, s) = await RunAsync(new HttpCheckOptions { Url = new Uri($"http://127.0.0.1:{port}/") });
        Assert.Equal(FailureReasons.ConnectionRefused, result.Reason);
        Assert.Equal("0", s["probe_success{check=\"t\"}"]);
        Assert.Equal("0", s["probe_http_status_code{check=\"t\"}"]);
    }

    [Fact]
    public async Task Run_UnresolvableHost_IsDns()
    {
        var (result, _) = await RunAsync(new HttpCheckOptions { Url = new Uri("http://no-such-host.invalid/") });
        Assert.Equal(FailureReasons.Dns, result.Reason);
    }

    [Fact]
    public async Task Run_SelfSignedHttps_FailsUnlessInsecureSkipVerify_AndReportsCertExpiry()
    {
        using var cert = TargetServer.SelfSigned(TimeSpan.FromDays(5));
        await using var tls = await TargetServer.StartAsync(cert);
        var url = tls.Url("/ok");

        var (strict, _) = await RunAsync(new HttpCheckOptions { Url = url });
        Assert.Equal(FailureReasons.Tls, strict.Reason);

        var (insecure, s) = await RunAsync(new HttpCheckOptions { Url = url, InsecureSkipVerify = true });
        Assert.True(insecure.Success, insecure.Error);
        Assert.Equal("1", s["probe_http_ssl{check=\"t\"}"]);
        Assert.Equal(new DateTimeOffset(cert.NotAfter.ToUniversalTime()).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), s["probe_ssl_earliest_cert_expiry{check=\"t\"}"]);
        Assert.True(double.Parse(s["probe_http_duration_seconds{check=\"t\",phase=\"tls\"}"], System.Globalization.CultureInfo.InvariantCulture) > 0);

        var (expiring, _) = await RunAsync(new HttpCheckOptions { Url = url, InsecureSkipVerify = true, Expect = new HttpExpectOptions { MinCertDays = 14 } });
        Assert.Equal(FailureReasons.TlsExpiry, expiring.Reason);
        Assert.True((await RunAsync(new HttpCheckOptions { Url = url, InsecureSkipVerify = true, Expect = new HttpExpectOptions { MinCertDays = 3 } })).Result.Success);
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 1)]
    public async Task Run_ThreeTimes_OpensAFreshConnectionEachUnlessKeepAlive(bool keepAlive, int connections)
    {
        await using var target = await CountingTarget.StartAsync(certificate: null);
        var store = new SeriesStore();
        var options = new CheckOptions { Name = "t", Kind = HttpCheck.Kind, Settings = new HttpCheckOptions { Url = target.Url, KeepAlive = keepAlive }, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) };
        using var scope = new SeriesScope(store, "t", new Dictionary<string, string>());
        using var check = new HttpCheck(options, scope, TimeProvider.System);
        for (int i = 0; i < 3; i++)
        {
            using var cts = new CancellationTokenSource(options.Timeout);
            var result = await check.RunAsync(cts.Token);
            Assert.True(result.Success, result.Error);
        }

        Assert.Equal(3, target.Requests);
        Assert.Equal(connections, target.Connections);
        var samples = Exposition.Samples(store);
        double connect = double.Parse(samples["probe_http_duration_seconds{check=\"t\",phase=\"connect\"}"], System.Globalization.CultureInfo.InvariantCulture);
        // The last run connected only when it had no kept connection.
        Assert.Equal(!keepAlive, connect > 0);
    }

    [Fact]
    public async Task Run_KeepAliveOverTls_ReportsTheHandshakesFactsOnAReusedConnection()
    {
        using var cert = TargetServer.SelfSigned(TimeSpan.FromDays(5));
        await using var target = await CountingTarget.StartAsync(cert);
        var store = new SeriesStore();
        var options = new CheckOptions { Name = "t", Kind = HttpCheck.Kind, Settings = new HttpCheckOptions { Url = target.Url, KeepAlive = true, InsecureSkipVerify = true }, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) };
        using var scope = new SeriesScope(store, "t", new Dictionary<string, string>());
        using var check = new HttpCheck(options, scope, TimeProvider.System);
        for (int i = 0; i < 2; i++)
        {
            using var cts = new CancellationTokenSource(options.Timeout);
            Assert.True((await check.RunAsync(cts.Token)).Success);
        }

        Assert.Equal(1, target.Connections);
        var s = Exposition.Samples(store);
        Assert.Equal("1", s["probe_http_ssl{check=\"t\"}"]);
        Assert.Equal("0", s["probe_http_duration_seconds{check=\"t\",phase=\"tls\"}"]);
        Assert.Equal(new DateTimeOffset(cert.NotAfter.ToUniversalTime()).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), s["probe_ssl_earliest_cert_expiry{check=\"t\"}"]);
    }

    /// <summary>A target that counts the TCP connections it accepted and the requests it answered.</summary>
    private sealed class CountingTarget : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _connections;
        private int _requests;

        private CountingTarget(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;

        public int Connections => Volatile.Read(ref _connections);

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<CountingTarget> StartAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            CountingTarget? self = null;
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o =>
            {
                o.Use(next => context =>
                {
                    Interlocked.Increment(ref self!._connections);
                    return next(context);
                });
                if (certificate is not null)
                {
                    o.UseHttps(certificate);
                }
            }));
            var app = builder.Build();
            self = new CountingTarget(app);
            app.MapGet("/ok", () =>
            {
                Interlocked.Increment(ref self._requests);
                return Microsoft.AspNetCore.Http.Results.Text("ok");
            });
            await app.StartAsync();
            self.Url = new Uri(new Uri(app.Urls.First().Replace("127.0.0.1", "localhost", StringComparison.Ordinal)), "/ok");
            return self;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
