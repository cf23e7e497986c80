using System.Net;
using System.Net.Sockets;
using Monitor.Checks;
using Monitor.Checks.Tcp;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Tcp;

public class TcpCheckTests
{
    private static async Task<(CheckResult, Dictionary<string, string>)> RunAsync(int port)
    {
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "t", new Dictionary<string, string> { ["service"] = "db" });
        var options = new CheckOptions
        {
            Name = "t",
            Kind = TcpCheck.Kind,
            Settings = new TcpCheckOptions { Address = $"localhost:{port}", Host = "localhost", Port = port },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(5),
        };
        using var check = new TcpCheck(options, scope, TimeProvider.System);
        var result = await check.RunAsync(CancellationToken.None);
        return (result, Exposition.Samples(store));
    }

    [Fact]
    public async Task Run_Listening_Succeeds()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var (result, s) = await RunAsync(((IPEndPoint)listener.LocalEndpoint).Port);
        Assert.True(result.Success, result.Error);
        Assert.Equal("1", s["probe_success{check=\"t\",service=\"db\"}"]);
        Assert.Contains("probe_duration_seconds{check=\"t\",service=\"db\"}", s.Keys);
        Assert.Contains("probe_dns_lookup_time_seconds{check=\"t\",service=\"db\"}", s.Keys);
    }

    [Fact]
    public async Task Run_Closed_IsConnectionRefused()
    {
        var (result, s) = await RunAsync(FreePort.Get());
        Assert.Equal(FailureReasons.ConnectionRefused, result.Reason);
        Assert.Equal("0", s["probe_success{check=\"t\",service=\"db\"}"]);
    }
}
