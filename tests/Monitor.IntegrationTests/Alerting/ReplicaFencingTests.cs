using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>
/// Three replicas on one PostgreSQL 15 store, a webhook that answers 4 s late, and episodes of one target going
/// down and up in which the leader is, alternately, killed (SIGKILL, replaced by a new replica) and paused with
/// SIGSTOP past its 15 s lease while its send is in flight, then woken. Each webhook path names the replica
/// that posted. Every episode must reach the receiver once firing and once resolved (a re-send only of the
/// message the disrupted leader had in flight, under the same id); a paused leader posts nothing after it
/// wakes (until a later disruption lets it win the lease again); no replica re-sends a message another one
/// delivered.
/// MONITOR_FENCING_EPISODES sets the number of episodes (4 in the suite; docs/benchmarks.md records 8).
/// </summary>
public sealed class ReplicaFencingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PastTheLease = TimeSpan.FromSeconds(20);

    private sealed record Arrival(string Replica, string Key, string Status, string StartsAt, DateTimeOffset At);

    [Fact]
    public async Task KilledAndPausedLeaders_EachEpisodeOnce_NothingFromAWokenLeader_NoResendOfWhatAnotherDelivered()
    {
        Tools.Require("/usr/lib/postgresql/15/bin/initdb", "postgresql-15");
        int episodes = int.TryParse(Environment.GetEnvironmentVariable("MONITOR_FENCING_EPISODES"), CultureInfo.InvariantCulture, out int n) ? n : 4;
        await using var postgres = await PostgresServer.StartAsync();
        await using (var connection = postgres.Connect("postgres"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE DATABASE alerts", connection);
            await command.ExecuteNonQueryAsync();
        }

        var arrivals = new ConcurrentQueue<Arrival>();
        await using var sink = await RecordingSink.StartAsync();
        sink.Arrived = request =>
        {
            using var body = JsonDocument.Parse(request.Body);
            var alert = body.RootElement.GetProperty("alerts")[0];
            arrivals.Enqueue(new Arrival(request.Path.Split('/')[^1], request.Headers["Idempotency-Key"], body.RootElement.GetProperty("status").GetString()!, alert.GetProperty("startsAt").GetString()!, request.At));
        };
        sink.Respond = async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(4), TimeProvider.System);
            return (200, "ok", null);
        };

        using var target = new TcpToggle();
        string rules = Tools.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(rules, "down.rules.yml"), """
            groups:
              - name: down
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    labels: { severity: P1 }
            """);
        string Config(string replica) => $$"""
            storage: { postgres: "{{postgres.Dsn("alerts", "postgres", PostgresServer.SuperPassword)}}" }
            defaults: { interval: 1s, timeout: 1s }
            checks:
              - { name: target, tcp: { address: "127.0.0.1:{{target.Port}}" } }
            rule_files: ["{{rules}}/*.rules.yml"]
            evaluation_interval: 1s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook/" + replica)}}" } }
            """;

        var replicas = new Dictionary<string, MonitorProcess>(StringComparer.Ordinal);
        var disrupted = new List<(string Replica, string How, DateTimeOffset At)>();
        var woke = new List<(string Replica, DateTimeOffset At)>();
        var takeovers = new List<double>();
        int started = 0;
        async Task StartReplicaAsync()
        {
            string name = $"r{started++}";
            replicas[name] = await MonitorProcess.StartAsync(Config(name));
        }

        string All() => string.Join("\n", arrivals.Select(a => $"{a.At:HH:mm:ss.fff} {a.Replica} {a.Status} {a.StartsAt} {a.Key[^8..]}"));
        try
        {
            for (int i = 0; i < 3; i++)
            {
                await StartReplicaAsync();
            }

            for (int episode = 0; episode < episodes; episode++)
            {
                int firingBefore = arrivals.Count(a => a.Status == "firing");
                target.Flip();
                await Eventually.HoldsAsync(() => Task.FromResult(arrivals.Count(a => a.Status == "firing") > firingBefore), TimeSpan.FromSeconds(60), () => "no page:\n" + All());
                var page = arrivals.Last(a => a.Status == "firing");
                string leader = page.Replica;
                var at = TimeProvider.System.GetUtcNow();
                bool pause = episode % 2 == 1;

                // The page is in flight (the webhook answers 4 s late) when the leader is disrupted.
                if (pause)
                {
                    replicas[leader].Signal("STOP");
                }
                else
                {
                    await replicas[leader].KillAsync();
                }

                disrupted.Add((leader, pause ? "SIGSTOP" : "SIGKILL", at));
                target.Up();
                await Eventually.HoldsAsync(
                    () => Task.FromResult(arrivals.Any(a => a.Status == "resolved" && a.StartsAt == page.StartsAt)),
                    TimeSpan.FromSeconds(90),
                    () => $"episode {episode}: no resolution after the leader {leader} was disrupted:\n" + All());
                var firstFromAnother = arrivals.Where(a => a.At > at && a.Replica != leader).Min(a => a.At);
                takeovers.Add((firstFromAnother - at).TotalSeconds);

                if (pause)
                {
                    var left = at + PastTheLease - TimeProvider.System.GetUtcNow();
                    if (left > TimeSpan.Zero)
                    {
                        await Task.Delay(left, TimeProvider.System);
                    }

                    woke.Add((leader, TimeProvider.System.GetUtcNow()));
                    replicas[leader].Signal("CONT");

                    // Awake for a while: it has run its check and rules three more times (and tried for the lease).
                    await Eventually.ProgressedAsync(3, TimeSpan.FromSeconds(60), replicas[leader]);
                }
                else
                {
                    await replicas[leader].DisposeAsync();
                    replicas.Remove(leader);
                    await StartReplicaAsync();
                }
            }

            var live = replicas.Values.ToArray();
            await Eventually.ProgressedAsync(3, TimeSpan.FromSeconds(60), live);
            await Eventually.HoldsAsync(() => Task.FromResult(sink.InFlight == 0), TimeSpan.FromSeconds(30), All);
        }
        finally
        {
            foreach (var replica in replicas.Values)
            {
                if (!replica.HasExited)
                {
                    replica.Signal("CONT");
                }

                await replica.DisposeAsync();
            }

            Directory.Delete(rules, recursive: true);
        }

        var list = arrivals.ToList();
        var sorted = takeovers.Order().ToList();
        output.WriteLine($"episodes {episodes}, posts {list.Count}, takeover (disruption → first post by another replica) median {sorted[sorted.Count / 2]:0.0} s, max {sorted[^1]:0.0} s");
        output.WriteLine(string.Join("\n", disrupted.Select(d => $"{d.At:HH:mm:ss.fff} {d.How} {d.Replica}")));
        output.WriteLine(All());

        // Every episode: one firing and one resolved message, whoever sent them and however often.
        var byEpisode = list.GroupBy(a => a.StartsAt).ToList();
        Assert.Equal(episodes, byEpisode.Count);
        foreach (var e in byEpisode)
        {
            Assert.True(e.Where(a => a.Status == "firing").Select(a => a.Key).Distinct().Count() == 1, $"episode {e.Key}: more than one firing message\n{All()}");
            Assert.True(e.Where(a => a.Status == "resolved").Select(a => a.Key).Distinct().Count() == 1, $"episode {e.Key}: more than one resolved message\n{All()}");
        }

        // A woken leader posts nothing on the strength of the lease it held: not until the leader that replaced it
        // is disrupted in turn and it may win the lease again, fairly.
        foreach (var (replica, since) in woke)
        {
            var until = disrupted.Where(d => d.At > since).Select(d => d.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
            Assert.True(!list.Any(a => a.Replica == replica && a.At > since && a.At < until), $"{replica} posted after it woke at {since:HH:mm:ss.fff}, before the next leader was disrupted\n{All()}");
        }

        // A message is posted by a second replica only when the first one was disrupted while it was in flight.
        foreach (var message in list.GroupBy(a => a.Key))
        {
            var senders = message.OrderBy(a => a.At).ToList();
            var first = senders[0];
            foreach (var again in senders.Skip(1))
            {
                Assert.True(again.Replica != first.Replica, $"message {message.Key} posted twice by {first.Replica}\n{All()}");
                bool inFlight = disrupted.Any(d => d.Replica == first.Replica && d.At >= first.At && d.At <= first.At + TimeSpan.FromSeconds(4));
                Assert.True(inFlight, $"message {message.Key}: {again.Replica} re-sent what {first.Replica} delivered\n{All()}");
            }
        }
    }
}
