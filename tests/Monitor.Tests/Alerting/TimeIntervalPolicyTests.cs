using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Alerting;

/// <summary>
/// The seeds' own policies on plain timestamps: "P0 is paged 24/7, others only in business hours (Mon–Fri
/// 09:00–18:00 Asia/Seoul)" with Alertmanager's time_intervals, and "security alerts go to the CISO after 30
/// minutes" with a route's own escalation chain.
/// </summary>
public class TimeIntervalPolicyTests
{
    // Asia/Seoul is UTC+9 all year. Friday 2026-11-27 18:00 UTC is Saturday 03:00 in Seoul.
    private static readonly DateTimeOffset SaturdayNightSeoul = new(2026, 11, 27, 18, 0, 0, TimeSpan.Zero);

    // Monday 2026-11-30 09:00 in Seoul.
    private static readonly DateTimeOffset MondayNineSeoul = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    private const string Seeds = """
        receivers:
          - { name: pager, webhook: { url: "http://hooks/pager" } }
          - { name: slack, webhook: { url: "http://hooks/slack" } }
          - { name: lead, webhook: { url: "http://hooks/lead" } }
          - { name: security, webhook: { url: "http://hooks/security" } }
          - { name: ciso, webhook: { url: "http://hooks/ciso" } }
        severities:
          levels: [P0, P1, P2, P3]
          P0: { notify: [pager], ack_within: 5m }
          P1: { notify: [slack], ack_within: 30m }
          P2: { notify: [slack], ack_within: 2h }
        escalation:
          P1: [ { after: 10m, notify: [lead] } ]
        time_intervals:
          - name: business-hours
            time_intervals:
              - times: [ { start_time: "09:00", end_time: "18:00" } ]
                weekdays: ["monday:friday"]
                location: Asia/Seoul
        routing:
          group_wait: 30s
          routes:
            - match: { team: security }
              notify: [security]
              escalation: [ { after: 30m, notify: [ciso] } ]
            - match: { severity: P0 }
              notify: [pager]
            - match_re: { alertname: ".+" }
              active_time_intervals: [business-hours]
        """;

    private static MonitorOptions Options(string yaml = Seeds)
    {
        var result = MonitorConfig.Parse(yaml, "monitor.yaml");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Options!;
    }

    private static AlertRecord Alert(MonitorOptions options, string name, string severity, DateTimeOffset firedAt, params (string Name, string Value)[] extra)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = name, ["severity"] = severity, ["service"] = "api" };
        foreach (var (n, v) in extra)
        {
            labels[n] = v;
        }

        return new AlertRecord
        {
            Fingerprint = Fingerprint.Of(labels),
            Origin = AlertOrigin.Rule,
            Labels = labels,
            Severity = AlertRecord.SeverityOf(labels, options.Levels, out _),
            Status = AlertStatus.Firing,
            ActiveAt = firedAt,
            FiredAt = firedAt,
        };
    }

    private sealed class Run(MonitorOptions options, params AlertRecord[] alerts)
    {
        private readonly AlertPolicy _policy = new(options);
        private readonly SequentialIds _ids = new();

        public AlertBook Book { get; } = Load(alerts);

        private static AlertBook Load(AlertRecord[] alerts)
        {
            var book = new AlertBook();
            foreach (var a in alerts)
            {
                book.Alerts[a.Key] = a;
            }

            return book;
        }

        public Decision At(DateTimeOffset now)
        {
            var decision = DecisionCore.Decide(Book, _policy, now, _ids);
            Book.Apply(decision.Changes);
            return decision;
        }

        /// <summary>Decides every minute over [from, to) and returns everything sent, as "minute-offset receiver".</summary>
        public List<string> Over(DateTimeOffset from, DateTimeOffset to, List<(Severity, SlaKind)>? breaches = null)
        {
            var sent = new List<string>();
            for (var t = from; t < to; t += TimeSpan.FromMinutes(1))
            {
                var d = At(t);
                sent.AddRange(d.Notifications.Select(n => $"{t:yyyy-MM-ddTHH:mm}Z {n.Receiver} {n.Reason}"));
                breaches?.AddRange(d.SlaBreaches);
            }

            return sent;
        }
    }

    [Fact]
    public void P0_IsPaged24x7_OthersWaitForBusinessHoursInSeoul_AndTheirAckClockStartsThen()
    {
        var options = Options();
        var p0 = Alert(options, "DbDown", "P0", SaturdayNightSeoul);
        var p1 = Alert(options, "DiskFilling", "P1", SaturdayNightSeoul);
        var run = new Run(options, p0, p1);
        var breaches = new List<(Severity, SlaKind)>();

        // Saturday 03:00 to Monday 08:59 in Seoul: the P0 is paged after group_wait (and reminded), the P1 is held.
        var weekend = run.Over(SaturdayNightSeoul, MondayNineSeoul, breaches);
        Assert.Equal("2026-11-27T18:01Z pager First", weekend[0]);
        Assert.All(weekend, s => Assert.Contains(" pager ", s));
        Assert.Contains(run.Book.Alerts[p1.Key].Fingerprint, run.At(MondayNineSeoul - TimeSpan.FromSeconds(1)).Suppressed);
        Assert.Equal(SaturdayNightSeoul, run.Book.Alerts[p1.Key].HeldAt);
        Assert.Equal(["P0"], breaches.Select(b => b.Item1.Name).Distinct()); // the held P1 breaches nothing over the weekend

        // Monday 09:00 Seoul: sent at once (its episode started while held), and its clocks start now.
        var monday = run.At(MondayNineSeoul);
        Assert.Equal(["slack First"], monday.Notifications.Where(n => n.Receiver != "pager").Select(n => $"{n.Receiver} {n.Reason}"));
        Assert.Equal(MondayNineSeoul, run.Book.Alerts[p1.Key].ReleasedAt);

        // Its P1 escalation counts from the release (10m), and ack_within 30m breaches at 09:30, not on Saturday.
        breaches.Clear();
        var morning = run.Over(MondayNineSeoul + TimeSpan.FromMinutes(1), MondayNineSeoul + TimeSpan.FromMinutes(31), breaches);
        Assert.Contains("2026-11-30T00:10Z lead Escalation", morning);
        Assert.DoesNotContain(morning, s => s.Contains(" lead ", StringComparison.Ordinal) && !s.StartsWith("2026-11-30T00:10Z", StringComparison.Ordinal));
        Assert.Contains(breaches, b => b.Item1.Name == "P1" && b.Item2 == SlaKind.Ack);
    }

    [Fact]
    public void BusinessHours_EndIsExclusive_AndAnAlertAlreadySentIsNotHeldAgain()
    {
        var options = Options();
        var sixPmSeoul = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero); // Monday 18:00 Seoul
        var late = Alert(options, "Late", "P2", sixPmSeoul);
        var early = Alert(options, "Early", "P2", sixPmSeoul - TimeSpan.FromMinutes(5));
        var run = new Run(options, early);
        Assert.Empty(run.At(sixPmSeoul - TimeSpan.FromMinutes(5)).Notifications);
        Assert.Equal(["slack"], run.At(sixPmSeoul - TimeSpan.FromMinutes(4)).Notifications.Select(n => n.Receiver));

        run.Book.Alerts[late.Key] = late;
        var evening = run.Over(sixPmSeoul, sixPmSeoul + TimeSpan.FromHours(15)); // to Tuesday 09:00 Seoul, exclusive
        Assert.Empty(evening); // no first notice for Late, no reminder for Early: the route is closed
        Assert.Null(run.Book.Alerts[early.Key].HeldAt); // Early was sent: its clocks keep running from its firing
        Assert.Equal(sixPmSeoul, run.Book.Alerts[late.Key].HeldAt);

        var tuesday = run.At(sixPmSeoul + TimeSpan.FromHours(15));
        // Late's first notice (its own group) and Early's reminder, both held overnight.
        Assert.Equal(["slack First Late", "slack Repeat Early"], tuesday.Notifications.Select(n => $"{n.Receiver} {n.Reason} {n.Alerts[0].Labels["alertname"]}").Order());
    }

    [Fact]
    public void HeldAlert_ResolvedBeforeTheIntervalOpens_IsNeverSent()
    {
        var options = Options();
        var p3 = Alert(options, "Flap", "P3", SaturdayNightSeoul);
        var run = new Run(options, p3);
        Assert.Empty(run.Over(SaturdayNightSeoul, SaturdayNightSeoul + TimeSpan.FromHours(1)));
        var resolved = run.Book.Alerts[p3.Key].Clone();
        resolved.Status = AlertStatus.Resolved;
        resolved.ResolvedAt = SaturdayNightSeoul + TimeSpan.FromHours(1);
        run.Book.Alerts[p3.Key] = resolved;
        Assert.Empty(run.Over(SaturdayNightSeoul + TimeSpan.FromHours(1), MondayNineSeoul + TimeSpan.FromMinutes(10)));
        Assert.Empty(run.Book.Groups);
    }

    [Fact]
    public void Resolution_OutsideTheInterval_IsToldWhenItOpens()
    {
        var options = Options();
        var fivePmSeoul = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero); // Monday 17:00 Seoul
        var alert = Alert(options, "Queue", "P2", fivePmSeoul);
        var run = new Run(options, alert);
        Assert.Equal(["2026-11-30T08:01Z slack First"], run.Over(fivePmSeoul, fivePmSeoul + TimeSpan.FromMinutes(5)));

        var resolved = run.Book.Alerts[alert.Key].Clone();
        resolved.Status = AlertStatus.Resolved;
        resolved.ResolvedAt = fivePmSeoul + TimeSpan.FromHours(2); // 19:00 Seoul: the route is closed
        run.Book.Alerts[alert.Key] = resolved;
        Assert.Empty(run.Over(fivePmSeoul + TimeSpan.FromHours(2), fivePmSeoul + TimeSpan.FromHours(16)));
        Assert.Equal(["2026-12-01T00:00Z slack Resolution"], run.Over(fivePmSeoul + TimeSpan.FromHours(16), fivePmSeoul + TimeSpan.FromHours(16.5)));
        Assert.Empty(run.Book.Groups);
    }

    [Fact]
    public void SecurityAlerts_GoToTheCisoAfter30Minutes_InsteadOfTheSeveritysChain()
    {
        var options = Options();
        var t0 = MondayNineSeoul + TimeSpan.FromHours(1);
        var security = Alert(options, "LoginBurst", "P1", t0, ("team", "security"));
        var other = Alert(options, "ApiSlow", "P1", t0);
        var run = new Run(options, security, other);

        var sent = run.Over(t0, t0 + TimeSpan.FromMinutes(31));
        Assert.Contains("2026-11-30T01:01Z security First", sent);
        Assert.Contains("2026-11-30T01:01Z slack First", sent);
        Assert.Contains("2026-11-30T01:10Z lead Escalation", sent); // ApiSlow: the P1 chain
        Assert.Contains("2026-11-30T01:30Z ciso Escalation", sent); // LoginBurst: its route's chain
        Assert.Single(sent, s => s.Contains(" lead ", StringComparison.Ordinal));
        Assert.Single(sent, s => s.Contains(" ciso ", StringComparison.Ordinal));
    }

    [Fact]
    public void RouteEscalation_AckStopsIt()
    {
        var options = Options();
        var t0 = MondayNineSeoul;
        var security = Alert(options, "LoginBurst", "P0", t0, ("team", "security"));
        var run = new Run(options, security);
        run.Over(t0, t0 + TimeSpan.FromMinutes(20));
        var acked = run.Book.Alerts[security.Key].Clone();
        acked.AckedAt = t0 + TimeSpan.FromMinutes(20);
        run.Book.Alerts[security.Key] = acked;
        Assert.DoesNotContain(run.Over(t0 + TimeSpan.FromMinutes(20), t0 + TimeSpan.FromHours(2)), s => s.Contains(" ciso ", StringComparison.Ordinal));
    }

    [Fact]
    public void MuteTimeIntervals_HoldWhileActive()
    {
        var options = Options("""
            receivers:
              - { name: slack, webhook: { url: "http://hooks/slack" } }
            time_intervals:
              - name: nights
                time_intervals:
                  - times: [ { start_time: "22:00", end_time: "24:00" }, { start_time: "00:00", end_time: "07:00" } ]
            routing:
              group_wait: 0s
              routes:
                - match: { service: api }
                  notify: [slack]
                  mute_time_intervals: [nights]
            """);
        var at = new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero);
        var run = new Run(options, Alert(options, "ApiDown", "P3", at));
        var sent = run.Over(at, at + TimeSpan.FromHours(9));
        Assert.Equal("2026-12-01T07:00Z slack First", sent[0]);
    }

    [Fact]
    public void EscalationStep_WithActiveTimeIntervals_WaitsForThemToOpen_AndTheStepsAfterItWait()
    {
        // P0 pages 24/7; its manager step is taken in business hours only; the director step after it waits with it.
        const string yaml = """
            receivers:
              - { name: pager, webhook: { url: "http://hooks/pager" } }
              - { name: manager, webhook: { url: "http://hooks/manager" } }
              - { name: director, webhook: { url: "http://hooks/director" } }
            severities:
              levels: [P0, P1]
              P0: { notify: [pager] }
            escalation:
              P0:
                - { after: 0s, notify: [pager] }
                - { after: 30m, notify: [manager], active_time_intervals: [business-hours] }
                - { after: 1h, notify: [director] }
            time_intervals:
              - name: business-hours
                time_intervals:
                  - times: [ { start_time: "09:00", end_time: "18:00" } ]
                    weekdays: ["monday:friday"]
                    location: Asia/Seoul
            routing:
              group_wait: 0s
            """;
        var options = Options(yaml);
        var run = new Run(options, Alert(options, "DbDown", "P0", SaturdayNightSeoul));

        // Saturday 03:00 Seoul until Monday 09:05: the pager at once, then nobody else until the interval opens.
        var sent = run.Over(SaturdayNightSeoul, MondayNineSeoul + TimeSpan.FromMinutes(5));
        Assert.Equal(
        [
            "2026-11-27T18:00Z pager First",
            "2026-11-30T00:00Z manager Escalation",
            "2026-11-30T00:00Z director Escalation",
        ],
            sent.Where(s => !s.Contains("Repeat", StringComparison.Ordinal)));
    }

    [Fact]
    public void EscalationStep_ActiveTimeIntervals_MustBeDefined()
    {
        var result = MonitorConfig.Parse("""
            receivers: [ { name: pager, webhook: { url: "http://hooks/pager" } } ]
            escalation:
              P1: [ { after: 5m, notify: [pager], active_time_intervals: [nights] } ]
            """, "monitor.yaml");
        Assert.Contains(result.Errors, e => e.ToString().Contains("escalation.P1[0].active_time_intervals", StringComparison.Ordinal) && e.ToString().Contains("nights", StringComparison.Ordinal));
    }
}

