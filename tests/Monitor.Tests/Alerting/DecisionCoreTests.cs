using Monitor.Hosting;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Alerting;

/// <summary>The lifecycle's timing rules with plain timestamps: the core reads no clock.</summary>
public class DecisionCoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private const string Receivers = """
        receivers:
          - { name: pager, webhook: { url: "http://hooks/pager" } }
          - { name: slack, webhook: { url: "http://hooks/slack" } }
          - { name: email, webhook: { url: "http://hooks/email" } }
          - { name: lead, webhook: { url: "http://hooks/lead" } }
          - { name: cto, webhook: { url: "http://hooks/cto" } }
          - { name: data, webhook: { url: "http://hooks/data" } }
        """;

    private const string Standard = """
        severities:
          P1: { ack_within: 15m, resolve_within: 2h, notify: [pager, slack], repeat: 15m }
          P2: { ack_within: 30m, resolve_within: 4h, notify: [pager], repeat: 1h }
          P3: { ack_within: 2h, resolve_within: 1d, notify: [slack], repeat: 4h }
          P4: { ack_within: 1d, resolve_within: 1w, notify: [email], repeat: 1d }
        escalation:
          P1: [ { after: 30m, notify: [lead] }, { after: 2h, notify: [cto] } ]
        routing:
          group_by: [alertname, service]
          group_wait: 30s
          group_interval: 5m
          routes:
            - match: { team: data }
              notify: [data]
        inhibit:
          - source: { severity: P1 }
            target: { severity: P3 }
            equal: [service]
        """;

    internal static AlertPolicy Policy(string alerting = Standard)
    {
        var result = MonitorConfig.Parse(alerting + "\n" + Receivers, "test.yaml");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return new AlertPolicy(result.Options!);
    }

    internal static AlertRecord Alert(string name, DateTimeOffset firedAt, string severity = "P1", params (string Name, string Value)[] labels)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = name, ["severity"] = severity, ["service"] = "api" };
        foreach (var (n, v) in labels)
        {
            all[n] = v;
        }

        return new AlertRecord
        {
            Fingerprint = Fingerprint.Of(all),
            Origin = AlertOrigin.Rule,
            Labels = all,
            Severity = AlertRecord.SeverityOf(all),
            Status = AlertStatus.Firing,
            ActiveAt = firedAt,
            FiredAt = firedAt,
        };
    }

    private static AlertBook Book(params AlertRecord[] alerts)
    {
        var book = new AlertBook();
        foreach (var a in alerts)
        {
            book.Alerts[a.Fingerprint] = a;
        }

        return book;
    }

    private static List<string> Sent(Decision d) =>
        [.. d.Notifications.Select(n => $"{n.Receiver}:{n.Kind}:{n.Reason}:{string.Join(",", n.Alerts.Select(a => a.Labels["alertname"] + "=" + a.Status))}")];

    /// <summary>Decides at <paramref name="at"/> and moves the book on as the pipeline does.</summary>
    private static Decision At(AlertBook book, AlertPolicy policy, DateTimeOffset at)
    {
        var decision = DecisionCore.Decide(book, policy, at, Ids);
        book.Apply(decision.Changes);
        return decision;
    }

    private static readonly SequentialIds Ids = new();

    /// <summary>Changes an alert as the pipeline does (ack, resolution): a new record in the book, under its key.</summary>
    private static void Update(AlertBook book, AlertRecord alert, Action<AlertRecord> change)
    {
        var current = book.Alerts[alert.Key].Clone();
        change(current);
        book.Alerts[current.Key] = current;
    }

    [Fact]
    public void FirstNotice_WaitsGroupWait_ThenGoesToEverySeverityReceiverOnce()
    {
        var policy = Policy();
        var book = Book(Alert("Down", T0));
        Assert.Empty(At(book, policy, T0).Notifications);
        Assert.Empty(At(book, policy, T0.AddSeconds(29)).Notifications);
        Assert.Equal(["pager:Firing:First:Down=Firing", "slack:Firing:First:Down=Firing"], Sent(At(book, policy, T0.AddSeconds(30))));
        Assert.Empty(At(book, policy, T0.AddSeconds(31)).Notifications);
        Assert.Empty(At(book, policy, T0.AddMinutes(14)).Notifications);
    }

    [Fact]
    public void AlertsArrivingWithinGroupWait_AreSentTogether_LaterOnesWaitGroupInterval()
    {
        var policy = Policy();
        var a = Alert("Down", T0, "P1", ("instance", "a"));
        var book = Book(a);
        At(book, policy, T0);
        var b = Alert("Down", T0.AddSeconds(10), "P1", ("instance", "b"));
        book.Alerts[b.Fingerprint] = b;
        var first = At(book, policy, T0.AddSeconds(30));
        Assert.Equal(2, first.Notifications.Count);
        Assert.All(first.Notifications, n => Assert.Equal(2, n.Alerts.Count));

        var c = Alert("Down", T0.AddMinutes(1), "P1", ("instance", "c"));
        book.Alerts[c.Fingerprint] = c;
        Assert.Empty(At(book, policy, T0.AddMinutes(5)).Notifications); // 4m30s since the first notice
        var update = At(book, policy, T0.AddSeconds(330));
        Assert.Equal(["pager:Firing:Update:Down=Firing,Down=Firing,Down=Firing", "slack:Firing:Update:Down=Firing,Down=Firing,Down=Firing"], Sent(update));
    }

    /// <summary>The decision says when its next timer runs out, so the pipeline wakes then rather than a tick later.</summary>
    [Fact]
    public void NextDue_IsTheGroupWaitThenTheGroupIntervalThatAChangeWaitsFor()
    {
        var policy = Policy();
        var a = Alert("Down", T0, "P1", ("instance", "a"));
        var book = Book(a);
        Assert.Equal(T0.AddSeconds(30), At(book, policy, T0).NextDue);
        Assert.Equal(T0.AddSeconds(30), At(book, policy, T0.AddSeconds(12)).NextDue);
        Assert.Null(At(book, policy, T0.AddSeconds(30)).NextDue); // told; nothing waits
        var b = Alert("Down", T0.AddMinutes(1), "P1", ("instance", "b"));
        book.Alerts[b.Fingerprint] = b;
        Assert.Equal(T0.AddSeconds(330), At(book, policy, T0.AddMinutes(1)).NextDue);
        Assert.Equal(2, At(book, policy, T0.AddSeconds(330)).Notifications.Count);
    }

    [Fact]
    public void Repeat_EveryRepeatInterval_UntilAcknowledged_ThenOneAcknowledgement()
    {
        var policy = Policy();
        var alert = Alert("Down", T0, "P2");
        var book = Book(alert);
        At(book, policy, T0);
        Assert.Single(At(book, policy, T0.AddSeconds(30)).Notifications);
        Assert.Empty(At(book, policy, T0.AddSeconds(30).AddMinutes(59)).Notifications);
        Assert.Equal(["pager:Firing:Repeat:Down=Firing"], Sent(At(book, policy, T0.AddSeconds(30).AddHours(1))));

        Update(book, alert, a => a.AckedAt = T0.AddMinutes(70));
        Update(book, alert, a => a.AckedBy = "kim");
        var ack = At(book, policy, T0.AddMinutes(70));
        Assert.Equal(["pager:Acknowledged:Acknowledgement:Down=Firing"], Sent(ack));
        Assert.Equal("kim", ack.Notifications[0].Alerts[0].AckedBy);
        for (int h = 2; h < 10; h++)
        {
            Assert.Empty(At(book, policy, T0.AddHours(h)).Notifications);
        }
    }

    [Fact]
    public void Escalation_AddsEachStepsReceivers_AtItsAfter_AndThoseGetRepeatsToo()
    {
        var policy = Policy();
        var book = Book(Alert("Down", T0));
        At(book, policy, T0);
        At(book, policy, T0.AddSeconds(30));
        Assert.Equal(["pager:Firing:Repeat:Down=Firing", "slack:Firing:Repeat:Down=Firing"], Sent(At(book, policy, T0.AddSeconds(30).AddMinutes(15))));
        var escalation = At(book, policy, T0.AddMinutes(30));
        Assert.Equal(["lead:Firing:Escalation:Down=Firing"], Sent(escalation));
        Assert.Equal(1, book.Groups.Values.Single().EscalationStep);
        Assert.Equal([(book.Groups.Values.Single().Severity, 1)], escalation.Escalations); // counted once, when reached
        var repeat = Sent(At(book, policy, T0.AddSeconds(30).AddMinutes(30)));
        Assert.Equal(["pager:Firing:Repeat:Down=Firing", "slack:Firing:Repeat:Down=Firing"], repeat);
        Assert.Equal(["lead:Firing:Repeat:Down=Firing"], Sent(At(book, policy, T0.AddMinutes(45))));
        var twoHoursDecision = At(book, policy, T0.AddHours(2));
        var twoHours = Sent(twoHoursDecision);
        Assert.Contains("cto:Firing:Escalation:Down=Firing", twoHours);
        Assert.Equal([2], twoHoursDecision.Escalations.Select(e => e.Step));
        Assert.Equal(2, book.Groups.Values.Single().EscalationStep);
    }

    [Fact]
    public void Acknowledgement_BeforeAStep_StopsEscalationAndRepeats()
    {
        var policy = Policy();
        var alert = Alert("Down", T0);
        var book = Book(alert);
        At(book, policy, T0);
        At(book, policy, T0.AddSeconds(30));
        Update(book, alert, a => a.AckedAt = T0.AddMinutes(10));
        Assert.Equal(2, At(book, policy, T0.AddMinutes(10)).Notifications.Count(n => n.Kind == NotificationKind.Acknowledged));
        for (int m = 11; m < 300; m += 7)
        {
            Assert.Empty(At(book, policy, T0.AddMinutes(m)).Notifications);
        }

        Assert.Equal(0, book.Groups.Values.Single().EscalationStep);
    }

    [Fact]
    public void Resolution_ReachesEveryoneNotified_IncludingEscalatedReceivers_ThenTheGroupEnds()
    {
        var policy = Policy();
        var alert = Alert("Down", T0);
        var book = Book(alert);
        At(book, policy, T0);
        At(book, policy, T0.AddSeconds(30));
        At(book, policy, T0.AddMinutes(30)); // lead added; pager and slack repeat
        Update(book, alert, a => a.Status = AlertStatus.Resolved);
        Update(book, alert, a => a.ResolvedAt = T0.AddMinutes(31));
        Assert.Empty(At(book, policy, T0.AddMinutes(31)).Notifications); // group_interval since the last message
        var resolved = At(book, policy, T0.AddMinutes(35));
        Assert.Equal(["lead", "pager", "slack"], resolved.Notifications.Select(n => n.Receiver).Order());
        Assert.All(resolved.Notifications, n => Assert.Equal(NotificationKind.Resolved, n.Kind));
        Assert.All(resolved.Notifications, n => Assert.Equal(AlertStatus.Resolved, n.Alerts.Single().Status));
        Assert.Empty(book.Groups);
        Assert.Empty(At(book, policy, T0.AddHours(3)).Notifications);
    }

    [Fact]
    public void Resolution_WaitsGroupIntervalAfterTheLastMessage()
    {
        var policy = Policy();
        var alert = Alert("Down", T0, "P3");
        var book = Book(alert);
        At(book, policy, T0);
        At(book, policy, T0.AddSeconds(30));
        Update(book, alert, a => a.Status = AlertStatus.Resolved);
        Update(book, alert, a => a.ResolvedAt = T0.AddMinutes(1));
        Assert.Empty(At(book, policy, T0.AddMinutes(1)).Notifications);
        Assert.Equal(["slack:Resolved:Resolution:Down=Resolved"], Sent(At(book, policy, T0.AddSeconds(330))));
    }

    [Fact]
    public void AlertResolvedBeforeGroupWait_IsNeverSent()
    {
        var policy = Policy();
        var alert = Alert("Blip", T0);
        var book = Book(alert);
        At(book, policy, T0);
        Update(book, alert, a => a.Status = AlertStatus.Resolved);
        Update(book, alert, a => a.ResolvedAt = T0.AddSeconds(10));
        Assert.Empty(At(book, policy, T0.AddSeconds(10)).Notifications);
        Assert.Empty(At(book, policy, T0.AddMinutes(10)).Notifications);
        Assert.Empty(book.Groups);
    }

    [Fact]
    public void Inhibition_P1MutesP3OfTheSameServiceOnly_ByMeaningOfSeverity()
    {
        var policy = Policy();
        var source = Alert("ApiDown", T0, "critical"); // critical == P1
        var sameService = Alert("ApiSlow", T0, "warning");
        var otherService = Alert("DbSlow", T0, "P3", ("service", "db"));
        var book = Book(source, sameService, otherService);
        At(book, policy, T0);
        var sent = Sent(At(book, policy, T0.AddSeconds(30)));
        Assert.Contains("slack:Firing:First:DbSlow=Firing", sent);
        Assert.DoesNotContain(sent, s => s.Contains("ApiSlow", StringComparison.Ordinal));
        Assert.Contains("pager:Firing:First:ApiDown=Firing", sent);
    }

    [Fact]
    public void Inhibition_ResolvedSourceReleasesTheTarget()
    {
        var policy = Policy();
        var source = Alert("ApiDown", T0, "P1");
        var target = Alert("ApiSlow", T0, "P3");
        var book = Book(source, target);
        At(book, policy, T0);
        At(book, policy, T0.AddSeconds(30));
        Update(book, source, a => a.Status = AlertStatus.Resolved);
        Update(book, source, a => a.ResolvedAt = T0.AddMinutes(1));
        At(book, policy, T0.AddMinutes(1));
        var sent = Sent(At(book, policy, T0.AddSeconds(90)));
        Assert.Contains("slack:Firing:First:ApiSlow=Firing", sent);
    }

    [Fact]
    public void ResolutionAfterInhibition_StillReachesWhoWasToldItFired()
    {
        var policy = Policy();
        var target = Alert("ApiSlow", T0, "P3");
        var book = Book(target);
        At(book, policy, T0);
        Assert.Single(At(book, policy, T0.AddSeconds(30)).Notifications);
        var source = Alert("ApiDown", T0.AddMinutes(1), "P1");
        book.Alerts[source.Fingerprint] = source;
        At(book, policy, T0.AddMinutes(1));
        Assert.DoesNotContain(At(book, policy, T0.AddHours(5)).Notifications, n => n.Receiver == "slack" && n.Alerts.Any(a => a.Labels["alertname"] == "ApiSlow"));
        Update(book, target, a => a.Status = AlertStatus.Resolved);
        Update(book, target, a => a.ResolvedAt = T0.AddHours(6));
        var resolved = At(book, policy, T0.AddHours(6));
        Assert.Contains("slack:Resolved:Resolution:ApiSlow=Resolved", Sent(resolved));
    }

    [Fact]
    public void AdHocSilence_MutesWhileActive_AndTheAlertIsSentWhenItEnds()
    {
        var policy = Policy();
        var book = Book(Alert("Down", T0, "P2"));
        book.Silences["s1"] = new Silence
        {
            Id = "s1",
            Matchers = [new SilenceMatcher("service", "ap.*", IsRegex: true)],
            StartsAt = T0.AddMinutes(-1),
            EndsAt = T0.AddHours(1),
        };
        At(book, policy, T0);
        Assert.Empty(At(book, policy, T0.AddMinutes(30)).Notifications);
        var d = At(book, policy, T0.AddMinutes(30));
        Assert.Single(d.Suppressed);
        At(book, policy, T0.AddHours(1));
        Assert.Equal(["pager:Firing:First:Down=Firing"], Sent(At(book, policy, T0.AddHours(1).AddSeconds(30))));
    }

    [Fact]
    public void NegativeSilenceMatcher_MutesOnlyOtherValues()
    {
        var matcher = new SilenceMatcher("service", "api", IsRegex: false, IsEqual: false);
        Assert.False(matcher.Matches(new Dictionary<string, string> { ["service"] = "api" }));
        Assert.True(matcher.Matches(new Dictionary<string, string> { ["service"] = "db" }));
        Assert.True(matcher.Matches(new Dictionary<string, string>()));
    }

    [Fact]
    public void SilenceDuringNotifiedEpisode_HoldsRepeats_ButResolutionIsSent()
    {
        var policy = Policy();
        var alert = Alert("Down", T0, "P2");
        var book = Book(alert);
        At(book, policy, T0);
        Assert.Single(At(book, policy, T0.AddSeconds(30)).Notifications);
        book.Silences["s"] = new Silence { Id = "s", Matchers = [new SilenceMatcher("alertname", "Down", false)], StartsAt = T0.AddMinutes(1), EndsAt = T0.AddDays(1) };
        Assert.Empty(At(book, policy, T0.AddHours(2)).Notifications);
        Update(book, alert, a => a.Status = AlertStatus.Resolved);
        Update(book, alert, a => a.ResolvedAt = T0.AddHours(3));
        Assert.Equal(["pager:Resolved:Resolution:Down=Resolved"], Sent(At(book, policy, T0.AddHours(3))));
    }

    [Theory]
    // Asia/Seoul has no DST: Sunday 02:00 KST is Saturday 17:00 UTC, for two hours.
    [InlineData("2026-11-28T16:59:00Z", false)]
    [InlineData("2026-11-28T17:00:00Z", true)]
    [InlineData("2026-11-28T18:59:00Z", true)]
    [InlineData("2026-11-28T19:00:00Z", false)]
    public void RecurringWindow_InItsTimeZone(string at, bool silenced)
    {
        var policy = Policy(Standard + """

            silences:
              - { name: sunday, cron: "0 2 * * SUN", duration: 2h, timezone: Asia/Seoul, matchers: { service: api } }
            """);
        var now = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(silenced, policy.Silenced(Alert("Down", now), now, []));
        Assert.False(policy.Silenced(Alert("Down", now, "P1", ("service", "db")), now, []));
    }

    [Theory]
    // Europe/Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET. A window from 01:00 CEST (23:00 UTC) lasts
    // three elapsed hours, until 02:00 UTC (03:00 CET), covering the repeated 02:00–03:00 hour once each.
    [InlineData("2026-10-24T22:59:00Z", false)]
    [InlineData("2026-10-24T23:00:00Z", true)]
    [InlineData("2026-10-25T00:30:00Z", true)] // 02:30 CEST
    [InlineData("2026-10-25T01:30:00Z", true)] // 02:30 CET, the same wall time again
    [InlineData("2026-10-25T02:00:00Z", false)]
    // Spring forward 2026-03-29: 02:00 CET jumps to 03:00 CEST; the window from 01:00 CET (00:00 UTC) ends at 03:00 UTC (05:00 CEST).
    [InlineData("2026-03-29T00:00:00Z", true)]
    [InlineData("2026-03-29T02:59:00Z", true)]
    [InlineData("2026-03-29T03:00:00Z", false)]
    public void RecurringWindow_AcrossDst_LastsItsDurationInElapsedTime(string at, bool silenced)
    {
        var policy = Policy(Standard + """

            silences:
              - { name: night, cron: "0 1 * * SUN", duration: 3h, timezone: Europe/Berlin, matchers: { service: api } }
            """);
        var now = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(silenced, policy.Silenced(Alert("Down", now), now, []));
    }

    [Fact]
    public void Route_FirstMatchOverridesSeverityReceivers_AndEscalationStillApplies()
    {
        var policy = Policy();
        var book = Book(Alert("EtlLate", T0, "P1", ("team", "data")));
        At(book, policy, T0);
        Assert.Equal(["data:Firing:First:EtlLate=Firing"], Sent(At(book, policy, T0.AddSeconds(30))));
        Assert.Equal(["data:Firing:Repeat:EtlLate=Firing", "lead:Firing:Escalation:EtlLate=Firing"], Sent(At(book, policy, T0.AddMinutes(30))));
    }

    [Fact]
    public void Groups_SplitByGroupByLabels_AndBySeverity()
    {
        var policy = Policy();
        var book = Book(
            Alert("Down", T0, "P3", ("instance", "a")),
            Alert("Down", T0, "P3", ("instance", "b")),
            Alert("Down", T0, "P3", ("service", "db")),
            Alert("Down", T0, "P4"));
        At(book, policy, T0);
        var sent = At(book, policy, T0.AddSeconds(30)).Notifications;
        Assert.Equal(3, book.Groups.Count);
        Assert.Equal([2, 1], sent.Where(n => n.Receiver == "slack").Select(n => n.Alerts.Count).OrderDescending());
        Assert.Single(sent, n => n.Receiver == "email");
        Assert.All(sent, n => Assert.StartsWith("monitor-", n.DedupKey, StringComparison.Ordinal));
    }

    [Fact]
    public void P1Notifications_ComeBeforeP4InTheDecision()
    {
        var policy = Policy();
        var book = Book(Alert("Low", T0, "P4"), Alert("High", T0, "P1"));
        At(book, policy, T0);
        var sent = At(book, policy, T0.AddSeconds(30)).Notifications;
        Assert.Equal(Severity.P1, sent[0].Severity);
        Assert.Equal(Severity.P4, sent[^1].Severity);
    }

    [Fact]
    public void SlaBreaches_AreCountedOncePerAlertAndKind()
    {
        var policy = Policy();
        var alert = Alert("Down", T0, "P1");
        var book = Book(alert);
        Assert.Empty(At(book, policy, T0.AddMinutes(14)).SlaBreaches);
        Assert.Equal([(Severity.P1, SlaKind.Ack)], At(book, policy, T0.AddMinutes(15)).SlaBreaches);
        Assert.Empty(At(book, policy, T0.AddMinutes(16)).SlaBreaches);
        Assert.Equal([(Severity.P1, SlaKind.Resolve)], At(book, policy, T0.AddHours(2)).SlaBreaches);
        Assert.Empty(At(book, policy, T0.AddHours(3)).SlaBreaches);
    }

    [Fact]
    public void SlaBreach_AckInTime_IsNotABreach()
    {
        var policy = Policy();
        var alert = Alert("Down", T0, "P1");
        alert.AckedAt = T0.AddMinutes(5);
        var book = Book(alert);
        Assert.Empty(At(book, policy, T0.AddHours(1)).SlaBreaches);
    }

    [Fact]
    public void ResolvedAlerts_LeaveTheBookAfterRetention_OnlyOnceNobodyNeedsTheirResolution()
    {
        var policy = Policy();
        var alert = Alert("Down", T0, "P3");
        var book = Book(alert);
        At(book, policy, T0);
        At(book, policy, T0.AddSeconds(30));
        Update(book, alert, a => a.Status = AlertStatus.Resolved);
        Update(book, alert, a => a.ResolvedAt = T0.AddMinutes(1));
        At(book, policy, T0.AddMinutes(2));
        Assert.Contains(alert.Fingerprint, book.Alerts.Keys);
        At(book, policy, T0.AddMinutes(6)); // resolution sent
        var later = At(book, policy, T0.AddMinutes(20));
        Assert.Contains(alert.Fingerprint, later.Changes.Alerts.Where(c => c.Value is null).Select(c => c.Key));
        Assert.Empty(book.Alerts);
    }

    [Fact]
    public void Fingerprint_MatchesAlertmanager()
    {
        // prometheus/common model: LabelSet{"alertname": "Foo"} and an empty set.
        Assert.Equal("cbf29ce484222325", Fingerprint.Of(new Dictionary<string, string>()));
        var a = Fingerprint.Of(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        var b = Fingerprint.Of(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        Assert.Equal(a, b);
        Assert.Equal(16, a.Length);
    }
}
