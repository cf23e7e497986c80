using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;
using Npgsql;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>
/// Two replicas share one PostgreSQL 15 store. Exactly one of them sends each notification; when it
/// is killed, the other takes the lease over and sends what is still owed (here, the resolution).
/// </summary>
public sealed class ReplicaTests
{
    [Fact]
    public async Task TwoReplicas_OneSends_TheSurvivorTakesOverAndResolves()
    {
        Tools.Require("/usr/lib/postgresql/15/bin/initdb", "postgresql-15");
        await using var postgres = await PostgresServer.StartAsync();
        await using (var connection = postgres.Connect("postgres"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE DATABASE alerts", connection);
            await command.ExecuteNonQueryAsync();
        }

        await using var sink = await RecordingSink.StartAsync();
        int port = FreePort.Get(); // closed: the target is down
        string rules = Tools.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(rules, "down.rules.yml"), """
            groups:
              - name: down
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    for: 1s
                    labels: { severity: P1 }
            """);
        string config = $$"""
            storage: { postgres: "{{postgres.Dsn("alerts", "postgres", PostgresServer.SuperPassword)}}" }
            defaults: { interval: 1s, timeout: 1s }
            checks:
              - { name: target, tcp: { address: "127.0.0.1:{{port}}" } }
            rule_files: ["{{rules}}/*.rules.yml"]
            evaluation_interval: 1s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            """;
        var a = await MonitorProcess.StartAsync(config);
        var b = await MonitorProcess.StartAsync(config);
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(sink.Requests.Count > 0), TimeSpan.FromSeconds(30), () => a.Output + b.Output);

            // Nothing else is coming: both replicas have run the check and the rule five more times past the page
            // (the follower tries for the lease at each of its decisions), and everything either of them decided
            // to send has been delivered and is in the sink.
            await Eventually.ProgressedAsync(5, TimeSpan.FromSeconds(60), a, b);
            await Eventually.DeliveredAsync(sink, TimeSpan.FromSeconds(30), [a, b]);
            Assert.Single(Keys(sink, "firing"));

            // The leader answers the alert API; the other replica says it is not the one deciding.
            var leader = (await a.Http.GetAsync(new Uri(a.BaseUri, "/api/v1/alerts"))).IsSuccessStatusCode ? a : b;
            var follower = leader == a ? b : a;
            using (var answer = await follower.Http.GetAsync(new Uri(follower.BaseUri, "/api/v1/alerts")))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            }

            double leaderAttempts = (await MetricSamples.ReadAsync(leader)).Sum("monitor_notifications_total");
            await leader.KillAsync();
            using var up = new TcpListener(IPAddress.Loopback, port);
            up.Start();
            await Eventually.HoldsAsync(
                () => Task.FromResult(Keys(sink, "resolved").Count > 0),
                TimeSpan.FromSeconds(90),
                () => "the surviving replica did not take over:\n" + follower.Output);

            // The survivor has run the check and the rule three more times past the resolution, and every attempt,
            // the dead leader's and its own, is in the sink.
            await Eventually.ProgressedAsync(3, TimeSpan.FromSeconds(60), follower);
            await Eventually.DeliveredAsync(sink, TimeSpan.FromSeconds(30), [follower], attemptsBefore: leaderAttempts);
            Assert.Single(Keys(sink, "firing"));
            Assert.Single(Keys(sink, "resolved"));
            Assert.Contains("holds the alerting lease", follower.Output, StringComparison.Ordinal);
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            Directory.Delete(rules, recursive: true);
        }
    }

    private static HashSet<string> Keys(RecordingSink sink, string status) =>
        [.. sink.Requests.Where(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("status").GetString() == status).Select(r => r.Headers["Idempotency-Key"])];
}
