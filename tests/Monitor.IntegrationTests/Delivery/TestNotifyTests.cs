using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Delivery;

/// <summary><c>monitor test-notify</c>: one message through a receiver, and the provider's answer printed.</summary>
public sealed class TestNotifyTests
{
    [Fact]
    public async Task SendsOneMessage_PrintsTheAnswer_AndFailsOnARefusal()
    {
        await using var sink = await RecordingSink.StartAsync();
        string dir = Tools.TempDirectory();
        string config = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(config, $$"""
            receivers:
              - { name: pager, pagerduty: { routing_key: "0123456789abcdef0123456789abcdef", url: "{{sink.Url("/v2/enqueue")}}" } }
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            """);
        sink.Respond = _ => Task.FromResult<(int, string, IDictionary<string, string>?)>((202, """{"status":"success","message":"Event processed"}""", null));
        var (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-notify", "--receiver", "pager", "--config", config]);
        Assert.True(code == 0, output);
        Assert.Contains("receiver pager: delivered: 202", output, StringComparison.Ordinal);
        var sent = JsonDocument.Parse(Assert.Single(sink.Requests).Body).RootElement;
        Assert.Equal("trigger", sent.GetProperty("event_action").GetString());
        Assert.Equal("info", sent.GetProperty("payload").GetProperty("severity").GetString());

        sink.Respond = _ => Task.FromResult<(int, string, IDictionary<string, string>?)>((400, """{"status":"invalid event","errors":["Event object is invalid"]}""", null));
        (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-notify", "--receiver", "hook", "--config", config]);
        Assert.Equal(1, code);
        Assert.Contains("receiver hook: rejected (would not be retried): 400 {\"status\":\"invalid event\"", output, StringComparison.Ordinal);

        (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-notify", "--receiver", "nobody", "--config", config]);
        Assert.Equal(1, code);
        Assert.Contains("no receiver named \"nobody\"", output, StringComparison.Ordinal);
        Assert.Contains("receivers: pager, hook", output, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}
