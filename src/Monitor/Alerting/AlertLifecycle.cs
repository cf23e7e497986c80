using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;

namespace Monitor.Alerting;

/// <summary>
/// Everything that can happen to the book, as pure functions: <c>state, event, now → changes</c>. None does I/O,
/// reads a clock or touches the book it is given; each returns a <see cref="LifecycleStep"/> whose
/// <see cref="LifecycleStep.Changes"/> the caller applies to its book and saves in one transaction, and whose
/// observations it turns into metrics and logs. <see cref="Decide"/> (through <see cref="DecisionCore"/>) adds the
/// notifications owed.
/// </summary>
internal static class AlertLifecycle
{
    /// <summary>The alert's level; a severity label naming no level is recorded for the log (docs/alerting.md).</summary>
    private static Severity SeverityOf(LifecycleStep step, IReadOnlyDictionary<string, string> labels, SeverityLevels? levels)
    {
        var severity = AlertRecord.SeverityOf(labels, levels ?? SeverityLevels.BuiltIn, out string? unknown);
        if (unknown is not null)
        {
            step.UnknownSeverities.Add((labels.GetValueOrDefault("alertname", ""), unknown, severity));
        }

        return severity;
    }

    /// <summary>Expired ad-hoc silences stay listed this long, as in Alertmanager.</summary>
    public static readonly TimeSpan ExpiredSilenceRetention = TimeSpan.FromDays(1);

    /// <summary>A rule alert moved to <paramref name="to"/>.</summary>
    public static LifecycleStep Transition(AlertBook book, RuleAlertChange change, IReadOnlyDictionary<string, string> externalLabels, DateTimeOffset at, SeverityLevels? levels = null)
    {
        var step = new LifecycleStep(book);
        var labels = new SortedDictionary<string, string>(change.Labels.ToDictionary(), StringComparer.Ordinal);
        foreach (var (name, external) in externalLabels)
        {
            labels.TryAdd(name, external);
        }

        string fp = Fingerprint.Of(labels);
        var alert = step.Alert(fp);
        if (change.To == AlertState.Inactive)
        {
            if (alert is null || alert.Status == AlertStatus.Resolved)
            {
                return step;
            }

            if (alert.Status == AlertStatus.Pending)
            {
                step.Remove(fp);
                return step;
            }

            Resolve(step, alert, at);
            return step;
        }

        if (alert is null || alert.Status == AlertStatus.Resolved)
        {
            if (alert is not null)
            {
                ArchiveIfOwed(step, alert);
            }

            alert = new AlertRecord
            {
                Fingerprint = fp,
                Origin = AlertOrigin.Rule,
                Group = change.Group,
                Labels = labels,
                RuleLabels = new SortedDictionary<string, string>(change.Labels.ToDictionary(), StringComparer.Ordinal),
                Severity = SeverityOf(step, labels, levels),
                Status = AlertStatus.Pending,
                ActiveAt = change.ActiveAt,
            };
        }
        else
        {
            alert = alert.Clone();
        }

        alert.Annotations = new Dictionary<string, string>(change.Annotations, StringComparer.Ordinal);
        alert.Value = change.Value;
        if (change.To == AlertState.Firing && alert.Status != AlertStatus.Firing)
        {
            alert.Status = AlertStatus.Firing;
            alert.FiredAt = change.FiredAt ?? at;
        }

        step.Put(alert);
        step.Changed(alert);
        return step;
    }

    /// <summary>
    /// Alerts from an Alertmanager webhook: a firing one joins the book (or is a duplicate of the one there), a
    /// resolved one resolves it. <see cref="LifecycleStep.Count"/> says how many changed something.
    /// </summary>
    public static LifecycleStep Ingest(AlertBook book, IReadOnlyList<IncomingAlert> alerts, DateTimeOffset now, SeverityLevels? levels = null)
    {
        var step = new LifecycleStep(book);
        foreach (var incoming in alerts)
        {
            var existing = step.Alert(incoming.Fingerprint) ?? EarlierWebhookAlert(book, incoming.Labels);
            if (existing is not null && existing.Origin != AlertOrigin.Alertmanager)
            {
                continue; // never a rule's alert: a webhook may neither rewrite nor resolve it
            }

            if (incoming.Resolved)
            {
                if (existing is null || existing.Status == AlertStatus.Resolved)
                {
                    continue;
                }

                Resolve(step, existing, incoming.EndsAt is { } end && end <= now ? end : now);
                step.Count++;
                continue;
            }

            if (existing is not null && existing.Status != AlertStatus.Resolved)
            {
                if (!existing.Annotations.OrderBy(a => a.Key).SequenceEqual(incoming.Annotations.OrderBy(a => a.Key)))
                {
                    var updated = existing.Clone();
                    updated.Annotations = new Dictionary<string, string>(incoming.Annotations, StringComparer.Ordinal);
                    step.Put(updated);
                }

                continue; // the same firing alert again: Alertmanager re-sends within its group_interval
            }

            if (existing is not null)
            {
                ArchiveIfOwed(step, existing);
            }

            var startsAt = incoming.StartsAt is { } s && s <= now ? s : now;
            var alert = new AlertRecord
            {
                Fingerprint = existing?.Fingerprint ?? incoming.Fingerprint,
                Origin = AlertOrigin.Alertmanager,
                Labels = new SortedDictionary<string, string>(incoming.Labels.ToDictionary(), StringComparer.Ordinal),
                Annotations = new Dictionary<string, string>(incoming.Annotations, StringComparer.Ordinal),
                Severity = SeverityOf(step, incoming.Labels, levels),
                Status = AlertStatus.Firing,
                ActiveAt = startsAt,
                FiredAt = startsAt,
                GeneratorUrl = incoming.GeneratorUrl,
            };
            step.Put(alert);
            step.Changed(alert);
            step.Count++;
        }

        return step;
    }

    /// <summary>When the alert's current firing episode began: what its notifications show as its start, and its ack links carry.</summary>
    public static DateTimeOffset EpisodeStart(AlertRecord alert) => alert.FiredAt ?? alert.ActiveAt;

    /// <summary>
    /// A webhook alert held under another fingerprint with these labels (one stored before webhook fingerprints had a
    /// namespace of their own, or under its sender's fingerprint): it is still the same alert.
    /// </summary>
    private static AlertRecord? EarlierWebhookAlert(AlertBook book, IReadOnlyDictionary<string, string> labels) =>
        book.Alerts.Values.FirstOrDefault(a => a.Origin == AlertOrigin.Alertmanager
            && a.Labels.Count == labels.Count
            && a.Labels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value));

    /// <summary>
    /// Acknowledges an alert. With <paramref name="episode"/> (an ack link's), only the firing episode it says: a
    /// link of an earlier incident of the same alert is <see cref="AckResult.EarlierIncident"/> and changes nothing.
    /// </summary>
    public static LifecycleStep Acknowledge(AlertBook book, string fingerprint, string by, string comment, DateTimeOffset now, out AckResult result, Func<DateTimeOffset, bool>? episode = null)
    {
        var step = new LifecycleStep(book);
        if (!book.Alerts.TryGetValue(fingerprint, out var alert))
        {
            result = AckResult.NotFound;
            return step;
        }

        if (episode is not null && !episode(EpisodeStart(alert)))
        {
            result = AckResult.EarlierIncident;
            return step;
        }

        if (alert.Status == AlertStatus.Resolved)
        {
            result = AckResult.Resolved;
            return step;
        }

        if (alert.AckedAt is not null)
        {
            result = AckResult.AlreadyAcknowledged;
            return step;
        }

        var acked = alert.Clone();
        acked.AckedAt = now;
        acked.AckedBy = by;
        acked.AckComment = comment;
        if (acked.FiredAt is { } fired)
        {
            step.Acknowledged.Add((acked.Severity, now - fired));
        }

        step.Put(acked);
        result = AckResult.Acknowledged;
        return step;
    }

    public static LifecycleStep AddSilence(AlertBook book, Silence silence)
    {
        var step = new LifecycleStep(book);
        step.Changes.Silences[silence.Id] = silence;
        return step;
    }

    /// <summary>Expires a silence (it stays listed as expired for a day, as in Alertmanager).</summary>
    public static LifecycleStep ExpireSilence(AlertBook book, string id, DateTimeOffset now, out bool found)
    {
        var step = new LifecycleStep(book);
        found = book.Silences.TryGetValue(id, out var silence);
        if (silence is not null && silence.EndsAt > now)
        {
            step.Changes.Silences[id] = silence with { EndsAt = now, StartsAt = silence.StartsAt > now ? now : silence.StartsAt };
        }

        return step;
    }

    /// <summary>
    /// Rule alerts handed back to the rules after a restart, takeover or reload that no rule claimed: a pending
    /// one is dropped, a firing one resolved.
    /// </summary>
    public static LifecycleStep Orphaned(AlertBook book, IEnumerable<string> fingerprints, DateTimeOffset now)
    {
        var step = new LifecycleStep(book);
        foreach (string fp in fingerprints)
        {
            if (step.Alert(fp) is not { } alert)
            {
                continue;
            }

            if (alert.Status == AlertStatus.Pending)
            {
                step.Remove(fp);
            }
            else
            {
                Resolve(step, alert, now);
            }

            step.Count++;
        }

        return step;
    }

    /// <summary>The rule alerts to hand back to the rules: every pending and firing one, with its timers.</summary>
    public static List<RestoredAlert> RuleAlerts(AlertBook book) =>
        [.. book.Alerts.Values
            .Where(a => a.Origin == AlertOrigin.Rule && a.Status != AlertStatus.Resolved)
            .Select(a => new RestoredAlert(
                a.Fingerprint,
                a.Group ?? "",
                [.. (a.RuleLabels ?? a.Labels).Select(l => new Label(l.Key, l.Value))],
                a.Status == AlertStatus.Firing ? AlertState.Firing : AlertState.Pending,
                a.ActiveAt,
                a.FiredAt,
                a.Value,
                a.Annotations))];

    /// <summary>The decision of <paramref name="now"/>, and the expired silences past their retention.</summary>
    public static (LifecycleStep Step, Decision Decision) Decide(AlertBook book, AlertPolicy policy, DateTimeOffset now, IIdSource ids)
    {
        var decision = DecisionCore.Decide(book, policy, now, ids);
        var step = new LifecycleStep(book);
        step.Changes.Merge(decision.Changes);
        foreach (var silence in book.Silences.Values.Where(s => now - s.EndsAt > ExpiredSilenceRetention))
        {
            step.Changes.Silences[silence.Id] = null;
        }

        return (step, decision);
    }

    /// <summary>Per receiver, the firing alerts it has been told about.</summary>
    public static Dictionary<string, List<AlertSnapshot>> NotifiedFiring(AlertBook book)
    {
        var told = new Dictionary<string, List<AlertSnapshot>>(StringComparer.Ordinal);
        foreach (var (receiver, progress) in book.Groups.Values.SelectMany(g => g.Notified))
        {
            if (!told.TryGetValue(receiver, out var list))
            {
                list = [];
                told[receiver] = list;
            }

            list.AddRange(progress.Firing.Select(key => book.Alerts.GetValueOrDefault(key)).OfType<AlertRecord>().Where(a => a.Status == AlertStatus.Firing).Select(AlertSnapshot.Of));
        }

        return told;
    }

    private static void Resolve(LifecycleStep step, AlertRecord alert, DateTimeOffset at)
    {
        var resolved = alert.Clone();
        resolved.Status = AlertStatus.Resolved;
        resolved.ResolvedAt = at;
        if (resolved.FiredAt is { } fired)
        {
            step.Resolved.Add((resolved.Severity, at - fired));
        }

        step.Put(resolved);
        step.Changed(resolved);
    }

    /// <summary>
    /// A resolved alert fires again: if some receiver has not yet been told of the resolution, the resolved
    /// episode is kept under its own key so that resolution is still sent, and the new episode takes the
    /// fingerprint.
    /// </summary>
    private static void ArchiveIfOwed(LifecycleStep step, AlertRecord resolved)
    {
        string fingerprint = resolved.Key;
        var owing = step.Groups().Where(g => g.Notified.Values.Any(p => p.Firing.Contains(fingerprint))).ToList();
        if (owing.Count == 0)
        {
            return;
        }

        var archived = resolved.Clone();
        archived.Key = $"{resolved.Fingerprint}@{(resolved.FiredAt ?? resolved.ActiveAt).ToUnixTimeMilliseconds()}";
        step.Remove(fingerprint);
        step.Put(archived);
        foreach (var group in owing)
        {
            var moved = group.Clone();
            foreach (var progress in moved.Notified.Values)
            {
                if (progress.Firing.Remove(fingerprint))
                {
                    progress.Firing.Add(archived.Key);
                }
            }

            step.Changes.Groups[moved.Key] = moved;
        }
    }
}

/// <summary>What a rule alert's transition brings into the lifecycle, copied off the rule engine's thread.</summary>
internal sealed record RuleAlertChange(
    string Group,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    AlertState To,
    DateTimeOffset ActiveAt,
    DateTimeOffset? FiredAt,
    double Value);

/// <summary>
/// One lifecycle function's result: the changes to the book (new values; nulls delete), and what happened on the
/// way for metrics and logs. Reads go through it, so a function sees its own earlier changes.
/// </summary>
internal sealed class LifecycleStep(AlertBook book)
{
    public StoreChanges Changes { get; } = new();

    /// <summary>Alerts that changed state (for the log).</summary>
    public List<AlertRecord> StateChanges { get; } = [];

    /// <summary>Acknowledgements: severity and time from firing.</summary>
    public List<(Severity Severity, TimeSpan AfterFiring)> Acknowledged { get; } = [];

    /// <summary>Resolutions: severity and time from firing.</summary>
    public List<(Severity Severity, TimeSpan AfterFiring)> Resolved { get; } = [];

    /// <summary>New alerts whose severity label named no level: alertname, the label, the level given instead.</summary>
    public List<(string AlertName, string Label, Severity Given)> UnknownSeverities { get; } = [];

    /// <summary>How many inputs changed something (the webhook's answer, the orphans resolved).</summary>
    public int Count { get; set; }

    public AlertRecord? Alert(string key) =>
        Changes.Alerts.TryGetValue(key, out var changed) ? changed : book.Alerts.GetValueOrDefault(key);

    public IEnumerable<GroupState> Groups() =>
        book.Groups.Keys.Concat(Changes.Groups.Keys).Distinct(StringComparer.Ordinal)
            .Select(k => Changes.Groups.TryGetValue(k, out var changed) ? changed : book.Groups[k])
            .OfType<GroupState>();

    public void Put(AlertRecord alert) => Changes.Alerts[alert.Key] = alert;

    public void Remove(string key) => Changes.Alerts[key] = null;

    public void Changed(AlertRecord alert) => StateChanges.Add(alert);
}
