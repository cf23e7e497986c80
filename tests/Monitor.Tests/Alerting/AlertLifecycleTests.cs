using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Rules.Alerting;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Alerting;

/// <summary>
/// The lifecycle's functions are pure: they never change the book they are given, and the same book, event and
/// time give the same changes (ids from an injected source).
/// </summary>
public sealed class AlertLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static AlertPolicy Policy() => new(MonitorConfig.Parse("""
        severities:
          P1: { ack_within: 5m, resolve_within: 10m, notify: [hook], repeat: 1h }
        escalation:
          P1: [ { after: 2m, notify: [lead] } ]
        routing: { group_by: [alertname], group_wait: 0s, group_interval: 1m }
        receivers:
          - { name: hook, webhook: { url: "http://127.0.0.1:1/hook" } }
          - { name: lead, webhook: { url: "http://127.0.0.1:1/lead" } }
        """, "t.yaml").Options!);

    private static RuleAlertChange Change(AlertState to, DateTimeOffset? firedAt = null) =>
        new("g", new Dictionary<string, string> { ["alertname"] = "Down", ["severity"] = "P1" }, new Dictionary<string, string> { ["summary"] = "down" }, to, T0, firedAt, 1);

    /// <summary>A book one alert has fired in, been notified, escalated, SLA-breached and resolved.</summary>
    private static AlertBook Lived(AlertPolicy policy, IIdSource ids)
    {
        var book = new AlertBook();
        book.Apply(AlertLifecycle.Transition(book, Change(AlertState.Firing, T0), new Dictionary<string, string>(), T0).Changes);
        foreach (int minute in new[] { 0, 3, 11 })
        {
            book.Apply(AlertLifecycle.Decide(book, policy, T0.AddMinutes(minute), ids).Step.Changes);
        }

        return book;
    }

    private static string Snapshot(AlertBook book) => System.Text.Json.JsonSerializer.Serialize(new
    {
        Alerts = book.Alerts.OrderBy(a => a.Key).Select(a => new { a.Key, a.Value.Status, a.Value.AckedAt, a.Value.AckBreached, a.Value.ResolveBreached, a.Value.ResolvedAt, Annotations = a.Value.Annotations.OrderBy(x => x.Key).ToList() }),
        Groups = book.Groups.OrderBy(g => g.Key).Select(g => new { g.Key, g.Value.EscalationStep, g.Value.EpisodeStart, Notified = g.Value.Notified.OrderBy(n => n.Key).Select(n => new { n.Key, Firing = n.Value.Firing.ToList(), n.Value.LastSentAt, n.Value.AckSent }) }),
        Silences = book.Silences.Keys.Order().ToList(),
    });

    /// <summary>An ack link of an earlier firing episode of the same alert acknowledges nothing; the current one's does.</summary>
    [Fact]
    public void Acknowledge_WithAnEarlierEpisode_IsEarlierIncident()
    {
        var book = new AlertBook();
        book.Apply(AlertLifecycle.Transition(book, Change(AlertState.Firing, T0), new Dictionary<string, string>(), T0).Changes);
        string fp = Assert.Single(book.Alerts.Keys);
        var first = AlertLifecycle.EpisodeStart(book.Alerts[fp]);
        var tokens = AckTokens.FromSecret("k");
        var firstLink = tokens.Validate(tokens.Create(fp, first, T0.AddDays(7)), T0);

        book.Apply(AlertLifecycle.Transition(book, Change(AlertState.Inactive), new Dictionary<string, string>(), T0.AddMinutes(10)).Changes);
        var refire = new RuleAlertChange("g", new Dictionary<string, string> { ["alertname"] = "Down", ["severity"] = "P1" }, new Dictionary<string, string> { ["summary"] = "down" }, AlertState.Firing, T0.AddMinutes(20), T0.AddMinutes(20), 1);
        book.Apply(AlertLifecycle.Transition(book, refire, new Dictionary<string, string>(), T0.AddMinutes(20)).Changes);
        var second = AlertLifecycle.EpisodeStart(book.Alerts[fp]);
        Assert.NotEqual(first, second);

        var stale = AlertLifecycle.Acknowledge(book, fp, "kim", "", T0.AddMinutes(21), out var result, firstLink.IsFor);
        Assert.Equal(AckResult.EarlierIncident, result);
        Assert.Empty(stale.Changes.Alerts);
        Assert.Null(book.Alerts[fp].AckedAt);

        var secondLink = tokens.Validate(tokens.Create(fp, second, T0.AddDays(7)), T0.AddMinutes(21));
        book.Apply(AlertLifecycle.Acknowledge(book, fp, "kim", "", T0.AddMinutes(21), out result, secondLink.IsFor).Changes);
        Assert.Equal(AckResult.Acknowledged, result);
        Assert.Equal("kim", book.Alerts[fp].AckedBy);
    }

    /// <summary>A webhook payload naming a rule alert's fingerprint, with the same labels, can neither resolve nor rewrite it.</summary>
    [Fact]
    public void Webhook_NamingARuleAlertsFingerprint_NeverTouchesIt()
    {
        var book = new AlertBook();
        book.Apply(AlertLifecycle.Transition(book, Change(AlertState.Firing, T0), new Dictionary<string, string>(), T0).Changes);
        var rule = Assert.Single(book.Alerts.Values);
        Assert.Equal(AlertStatus.Firing, rule.Status);

        string payload = $$"""
            { "version": "4", "alerts": [
              { "status": "resolved", "fingerprint": "{{rule.Fingerprint}}", "labels": { "alertname": "Down", "severity": "P1" }, "annotations": { "summary": "rewritten" },
                "startsAt": "2026-11-22T09:00:00Z", "endsAt": "2026-11-22T10:00:00Z" } ] }
            """;
        var (alerts, error) = Monitor.Api.AlertmanagerWebhook.Parse(System.Text.Json.JsonDocument.Parse(payload).RootElement);
        Assert.Null(error);
        var incoming = Assert.Single(alerts!);
        Assert.NotEqual(rule.Fingerprint, incoming.Fingerprint); // derived from the labels, in the webhook's namespace
        Assert.Equal(Fingerprint.OfWebhook(incoming.Labels), incoming.Fingerprint);

        var resolved = AlertLifecycle.Ingest(book, alerts!, T0.AddMinutes(1));
        Assert.Equal(0, resolved.Count);
        book.Apply(resolved.Changes);
        Assert.Equal(AlertStatus.Firing, book.Alerts[rule.Fingerprint].Status);

        // The same labels firing on the webhook are an alert of their own, beside the rule's, which keeps its annotations.
        var firing = AlertLifecycle.Ingest(book, [incoming with { Resolved = false }], T0.AddMinutes(2));
        book.Apply(firing.Changes);
        Assert.Equal(2, book.Alerts.Count);
        Assert.Equal("down", book.Alerts[rule.Fingerprint].Annotations["summary"]);
        Assert.Equal(AlertOrigin.Alertmanager, book.Alerts[incoming.Fingerprint].Origin);

        // And its resolution resolves only itself.
        book.Apply(AlertLifecycle.Ingest(book, [incoming], T0.AddMinutes(3)).Changes);
        Assert.Equal(AlertStatus.Resolved, book.Alerts[incoming.Fingerprint].Status);
        Assert.Equal(AlertStatus.Firing, book.Alerts[rule.Fingerprint].Status);
    }

    /// <summary>A webhook alert stored under its sender's fingerprint (before this release) is still found by its labels.</summary>
    [Fact]
    public void Webhook_AlertHeldUnderAnEarlierFingerprint_IsResolvedByItsLabels()
    {
        var book = new AlertBook();
        var labels = new Dictionary<string, string> { ["alertname"] = "DiskFull", ["service"] = "db" };
        book.Apply(AlertLifecycle.Ingest(book, [new IncomingAlert("c4a1f0e2b3d49e87", false, labels, new Dictionary<string, string>(), T0, null, null)], T0).Changes);
        Assert.True(book.Alerts.ContainsKey("c4a1f0e2b3d49e87"));
        var step = AlertLifecycle.Ingest(book, [new IncomingAlert(Fingerprint.OfWebhook(labels), true, labels, new Dictionary<string, string>(), T0, T0.AddMinutes(1), null)], T0.AddMinutes(2));
        Assert.Equal(1, step.Count);
        book.Apply(step.Changes);
        Assert.Equal(AlertStatus.Resolved, book.Alerts["c4a1f0e2b3d49e87"].Status);
    }

    [Fact]
    public void EveryFunction_LeavesTheBookItIsGiven_AsItWas()
    {
        var policy = Policy();
        var book = Lived(policy, new SequentialIds());
        string before = Snapshot(book);

        _ = AlertLifecycle.Decide(book, policy, T0.AddHours(2), new SequentialIds()); // a repeat is due: the group moves on
        _ = AlertLifecycle.Transition(book, Change(AlertState.Inactive), new Dictionary<string, string>(), T0.AddMinutes(30));
        _ = AlertLifecycle.Transition(book, Change(AlertState.Firing, T0.AddMinutes(30)), new Dictionary<string, string>(), T0.AddMinutes(30));
        _ = AlertLifecycle.Acknowledge(book, book.Alerts.Keys.First(), "kim", "", T0.AddMinutes(30), out _);
        _ = AlertLifecycle.Ingest(book, [new IncomingAlert(book.Alerts.Keys.First(), true, new Dictionary<string, string> { ["alertname"] = "Down" }, new Dictionary<string, string>(), null, T0, null)], T0.AddMinutes(30));
        _ = AlertLifecycle.Orphaned(book, [.. book.Alerts.Keys], T0.AddMinutes(30));
        _ = AlertLifecycle.AddSilence(book, new Silence { Id = "s", Matchers = [new SilenceMatcher("alertname", "Down", false)], StartsAt = T0, EndsAt = T0.AddDays(1) });

        Assert.Equal(before, Snapshot(book));
    }

    [Fact]
    public void TheSameBookEventAndTime_GiveTheSameChanges()
    {
        var policy = Policy();
        var a = Lived(policy, new SequentialIds());
        var b = Lived(policy, new SequentialIds());
        Assert.Equal(Snapshot(a), Snapshot(b));

        var firstIds = new SequentialIds();
        var secondIds = new SequentialIds();
        var x = AlertLifecycle.Decide(a, policy, T0.AddHours(2), firstIds).Decision;
        var y = AlertLifecycle.Decide(b, policy, T0.AddHours(2), secondIds).Decision;
        Assert.Equal(x.Notifications.Select(n => (n.Id, n.Receiver, n.Kind, n.Reason)), y.Notifications.Select(n => (n.Id, n.Receiver, n.Kind, n.Reason)));
    }

    [Fact]
    public void AResolvedEpisodeStillOwedItsResolution_IsKeptApart_WhenTheAlertFiresAgain()
    {
        var policy = Policy();
        var ids = new SequentialIds();
        var book = new AlertBook();
        book.Apply(AlertLifecycle.Transition(book, Change(AlertState.Firing, T0), new Dictionary<string, string>(), T0).Changes);
        book.Apply(AlertLifecycle.Decide(book, policy, T0, ids).Step.Changes); // hook told it fired
        book.Apply(AlertLifecycle.Transition(book, Change(AlertState.Inactive), new Dictionary<string, string>(), T0.AddSeconds(10)).Changes);
        var again = AlertLifecycle.Transition(book, Change(AlertState.Firing, T0.AddSeconds(20)), new Dictionary<string, string>(), T0.AddSeconds(20));
        book.Apply(again.Changes);

        var episodes = book.Alerts.Values.OrderBy(a => a.Key.Length).ToList();
        Assert.Equal(2, episodes.Count);
        Assert.Equal(AlertStatus.Firing, episodes[0].Status);
        Assert.Equal(AlertStatus.Resolved, episodes[1].Status);
        Assert.Contains(episodes[1].Key, book.Groups.Values.Single().Notified["hook"].Firing);
    }
}
