using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Monitor.Hosting;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Alerting;

/// <summary>The pipeline on a real SQLite store with a fake clock: transitions in, committed notifications out.</summary>
public sealed class AlertPipelineTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "monitor-pipeline-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private MonitorOptions Options()
    {
        var result = MonitorConfig.Parse($$"""
            storage: { sqlite: "{{_dir}}/monitor.db" }
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname], group_wait: 0s, group_interval: 1m }
            receivers:
              - { name: hook, webhook: { url: "http://127.0.0.1:1/hook" } }
            """, "t.yaml");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Options!;
    }

    private static async Task<(AlertPipeline Pipeline, List<Notification> Sent)> StartAsync(MonitorOptions options, FakeTimeProvider time, List<RestoredAlert>? restored = null)
    {
        var pipeline = new AlertPipeline(new SeriesStore(), time, NullLogger<AlertPipeline>.Instance);
        var sent = new List<Notification>();
        pipeline.Committed += sent.AddRange;
        pipeline.Restorer = (alerts, _) =>
        {
            restored?.AddRange(alerts);
            return [];
        };
        await pipeline.InitializeAsync(options, CancellationToken.None);
        return (pipeline, sent);
    }

    private static ActiveAlert Alert(DateTimeOffset activeAt) => new()
    {
        Labels = [new("alertname", "Down"), new("severity", "P1")],
        ActiveAt = activeAt,
    };

    private static void Transition(AlertPipeline pipeline, ActiveAlert alert, AlertState from, AlertState to, DateTimeOffset at)
    {
        alert.State = to;
        if (to == AlertState.Firing)
        {
            alert.FiredAt = at;
        }

        pipeline.Publish([new AlertTransition("Down", alert, from, to) { Group = "g" }], at);
    }

    [Fact]
    public async Task AlertFiringAgainBeforeItsResolutionWentOut_GetsBothTheResolutionAndANewFiring()
    {
        var time = new FakeTimeProvider(T0);
        var (pipeline, sent) = await StartAsync(Options(), time);
        var first = Alert(T0);
        Transition(pipeline, first, AlertState.Inactive, AlertState.Firing, T0);
        await pipeline.TickAsync(T0, CancellationToken.None);
        Assert.Single(sent);

        Transition(pipeline, first, AlertState.Firing, AlertState.Inactive, T0.AddSeconds(10));
        await pipeline.TickAsync(T0.AddSeconds(10), CancellationToken.None); // within group_interval: nothing yet
        var second = Alert(T0.AddSeconds(20));
        Transition(pipeline, second, AlertState.Inactive, AlertState.Firing, T0.AddSeconds(20));
        await pipeline.TickAsync(T0.AddSeconds(20), CancellationToken.None);
        Assert.Single(sent);

        await pipeline.TickAsync(T0.AddMinutes(1), CancellationToken.None);
        Assert.Equal(2, sent.Count);
        var update = sent[1];
        Assert.Equal(NotificationKind.Firing, update.Kind);
        Assert.Contains(update.Alerts, a => a.Status == AlertStatus.Resolved && a.StartsAt == T0);
        Assert.Contains(update.Alerts, a => a.Status == AlertStatus.Firing && a.StartsAt == T0.AddSeconds(20));
        Assert.Single(update.Alerts.Select(a => a.Fingerprint).Distinct());
        pipeline.Dispose();
    }

    [Fact]
    public async Task Restart_HandsPendingAndFiringAlertsBackWithTheirTimes_AndSendsNothingAgain()
    {
        var time = new FakeTimeProvider(T0);
        var options = Options();
        var (pipeline, sent) = await StartAsync(options, time);
        var alert = Alert(T0);
        Transition(pipeline, alert, AlertState.Inactive, AlertState.Pending, T0);
        await pipeline.TickAsync(T0, CancellationToken.None);
        Transition(pipeline, alert, AlertState.Pending, AlertState.Firing, T0.AddMinutes(2));
        await pipeline.TickAsync(T0.AddMinutes(2), CancellationToken.None);
        Assert.Single(sent);
        pipeline.Dispose();

        var restored = new List<RestoredAlert>();
        var (again, sentAgain) = await StartAsync(options, time, restored);
        var back = Assert.Single(restored);
        Assert.Equal((AlertState.Firing, T0, T0.AddMinutes(2), "g"), (back.State, back.ActiveAt, back.FiredAt, back.Group));
        await again.TickAsync(T0.AddMinutes(3), CancellationToken.None);
        await again.TickAsync(T0.AddMinutes(30), CancellationToken.None);
        Assert.Empty(sentAgain); // already told; the repeat is an hour away
        await again.TickAsync(T0.AddMinutes(62), CancellationToken.None);
        Assert.Equal(NotificationReason.Repeat, Assert.Single(sentAgain).Reason);
        again.Dispose();
    }

    [Fact]
    public async Task Restart_WhileAResolutionIsOwed_SendsItOnceTheGroupIntervalAllows_AndPagesTheNextOutage()
    {
        var time = new FakeTimeProvider(T0);
        var options = Options();
        var (pipeline, sent) = await StartAsync(options, time);
        var alert = Alert(T0);
        Transition(pipeline, alert, AlertState.Inactive, AlertState.Firing, T0);
        await pipeline.TickAsync(T0, CancellationToken.None);
        Assert.Single(sent);
        Transition(pipeline, alert, AlertState.Firing, AlertState.Inactive, T0.AddSeconds(10));
        await pipeline.TickAsync(T0.AddSeconds(10), CancellationToken.None); // resolved and saved; owed until group_interval
        Assert.Single(sent);
        pipeline.Dispose();

        var (again, sentAgain) = await StartAsync(options, time);
        await again.TickAsync(T0.AddSeconds(30), CancellationToken.None);
        Assert.Empty(sentAgain);
        await again.TickAsync(T0.AddMinutes(1), CancellationToken.None);
        Assert.Equal(NotificationKind.Resolved, Assert.Single(sentAgain).Kind);

        var next = Alert(T0.AddMinutes(2));
        Transition(again, next, AlertState.Inactive, AlertState.Firing, T0.AddMinutes(2));
        await again.TickAsync(T0.AddMinutes(2), CancellationToken.None);
        Assert.Equal(2, sentAgain.Count);
        Assert.Equal((NotificationKind.Firing, NotificationReason.First), (sentAgain[1].Kind, sentAgain[1].Reason));
        again.Dispose();
    }

    /// <summary>
    /// An hour of an alert flapping every 30 s (group_wait 10 s, group_interval 5 m), on the fake clock: the receiver
    /// hears at most once per group_interval, each message tells the state of that moment, no repeat reminders are
    /// mixed in, the end of the flapping is told once within a group_interval, and then nothing more.
    /// (Alertmanager's issue 952 is the behaviour of flapping alerts against group_interval.) With a group_wait as
    /// long as the flap, each episode would be over before its group may speak and nothing is told, as in Alertmanager.
    /// </summary>
    [Fact]
    public async Task Soak_AnHourOfFlappingEvery30s_IsToldAtMostOncePerGroupInterval_AndEndsResolved()
    {
        var result = MonitorConfig.Parse($$"""
            storage: { sqlite: "{{_dir}}/monitor.db" }
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 4h }
            routing: { group_by: [alertname], group_wait: 10s, group_interval: 5m }
            receivers:
              - { name: hook, webhook: { url: "http://127.0.0.1:1/hook" } }
            """, "t.yaml");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var time = new FakeTimeProvider(T0);
        var (pipeline, sent) = await StartAsync(result.Options!, time);
        var firingAt = new SortedDictionary<DateTimeOffset, bool>();
        ActiveAlert? current = null;
        for (int second = 0; second <= 3 * 3600; second++)
        {
            var now = T0.AddSeconds(second);
            if (second <= 3600 && second % 30 == 0)
            {
                bool up = second / 30 % 2 == 1 || second == 3600;
                if (!up && current is null)
                {
                    current = Alert(now);
                    Transition(pipeline, current, AlertState.Inactive, AlertState.Firing, now);
                    firingAt[now] = true;
                }
                else if (up && current is not null)
                {
                    Transition(pipeline, current, AlertState.Firing, AlertState.Inactive, now);
                    current = null;
                    firingAt[now] = false;
                }
            }

            await pipeline.TickAsync(now, CancellationToken.None);
        }

        Assert.NotEmpty(sent);
        Assert.Equal(sent.Count, sent.Select(n => n.Id).Distinct().Count());
        Assert.Equal(T0.AddSeconds(10), sent[0].CreatedAt); // group_wait from the first firing
        for (int i = 1; i < sent.Count; i++)
        {
            Assert.True(sent[i].CreatedAt - sent[i - 1].CreatedAt >= TimeSpan.FromMinutes(5), $"messages {i - 1} and {i} only {sent[i].CreatedAt - sent[i - 1].CreatedAt} apart");
        }

        Assert.DoesNotContain(sent, n => n.Reason == NotificationReason.Repeat);
        Assert.InRange(sent.Count, 12, 14); // the first, one per group_interval over the hour, the last resolution
        foreach (var n in sent)
        {
            bool firing = firingAt.Last(kv => kv.Key <= n.CreatedAt).Value;
            Assert.Equal(firing ? NotificationKind.Firing : NotificationKind.Resolved, n.Kind);
            Assert.Equal(firing, n.Alerts.Any(a => a.Status == AlertStatus.Firing));
        }

        var last = sent[^1];
        Assert.Equal(NotificationKind.Resolved, last.Kind);
        Assert.InRange(last.CreatedAt, T0.AddSeconds(3600), T0.AddSeconds(3600 + 300));
        pipeline.Dispose();
    }
}
