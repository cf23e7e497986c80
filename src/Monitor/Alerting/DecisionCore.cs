using Monitor.Configuration;

namespace Monitor.Alerting;

/// <summary>
/// The pure core of the lifecycle (docs/alerting.md): given the book, the policy and <c>now</c>, it decides which
/// notifications are owed and how the groups' progress moves on. It does no I/O, reads no clock, draws its ids from
/// the given source and leaves the book as it was: what changes is returned as new values in
/// <see cref="Decision.Changes"/>, so every timing rule is tested with plain timestamps.
/// <list type="bullet">
/// <item>A group's first notice waits <c>group_wait</c> from the start of its episode.</item>
/// <item>New or resolved alerts are told to a receiver at most every <c>group_interval</c>.</item>
/// <item>While some alert a receiver knows is firing and unacknowledged, it is re-told every <c>repeat</c>.</item>
/// <item>Unacknowledged past each escalation step's <c>after</c> (from the earliest unacknowledged alert's firing),
///   the step's receivers are added and told at once.</item>
/// <item>Silenced or inhibited alerts are not told, but a resolution reaches every receiver told it was firing.</item>
/// <item>A group whose route is outside its <c>active_time_intervals</c> (or inside a <c>mute_time_intervals</c>)
///   tells nothing; when the interval opens it is told at once. An alert held before anyone was told of it has
///   its SLA clocks and escalation counted from that release instead of from its firing.</item>
/// </list>
/// </summary>
internal static class DecisionCore
{
    /// <summary>How long a resolved alert nobody still needs to hear about stays in the book.</summary>
    public static readonly TimeSpan ResolvedRetention = TimeSpan.FromMinutes(15);

    public static Decision Decide(AlertBook book, AlertPolicy policy, DateTimeOffset now, IIdSource ids)
    {
        var decision = new Decision();

        var firing = book.Alerts.Values.Where(a => a.Status == AlertStatus.Firing).OrderBy(a => a.Fingerprint, StringComparer.Ordinal).ToList();
        var members = new Dictionary<string, (SortedDictionary<string, string> Labels, List<AlertRecord> All, List<AlertRecord> Effective)>(StringComparer.Ordinal);
        var suppression = policy.SuppressionAt(now, book.Silences.Values, firing);
        foreach (var alert in firing)
        {
            var (key, labels) = policy.GroupOf(alert);
            if (!members.TryGetValue(key, out var entry))
            {
                entry = (labels, [], []);
                members[key] = entry;
            }

            entry.All.Add(alert);
            if (!suppression.Silenced(alert) && !suppression.Inhibited(alert))
            {
                entry.Effective.Add(alert);
            }
            else
            {
                decision.Suppressed.Add(alert.Key);
            }
        }

        var keys = members.Keys.Concat(book.Groups.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var key in keys)
        {
            members.TryGetValue(key, out var entry);
            var all = entry.All ?? [];
            var effective = entry.Effective ?? [];
            bool created = false;
            GroupState group;
            if (book.Groups.TryGetValue(key, out var stored))
            {
                group = stored.Clone();
            }
            else
            {
                if (effective.Count == 0)
                {
                    continue;
                }

                group = new GroupState { Key = key, Severity = effective[0].Severity, GroupLabels = entry.Labels };
                created = true;
            }

            var sample = effective.FirstOrDefault() ?? all.FirstOrDefault();
            if (policy.Held(group, sample, now))
            {
                bool heldChanged = Hold(group, effective, now, decision);
                if (group.Notified.Count == 0 && effective.Count == 0)
                {
                    decision.Changes.Groups[key] = null;
                }
                else if (heldChanged || created)
                {
                    decision.Changes.Groups[key] = group;
                }

                continue;
            }

            Release(effective, now, decision);
            bool changed = DecideGroup(book, policy, now, group, all, effective, decision, ids);
            if (group.Notified.Count == 0 && effective.Count == 0)
            {
                decision.Changes.Groups[key] = null;
            }
            else if (changed || created)
            {
                decision.Changes.Groups[key] = group;
            }
        }

        CheckSla(book, policy, now, decision);
        RemoveFinished(book, now, decision);
        decision.Notifications.Sort((a, b) => a.Severity.CompareTo(b.Severity));
        return decision;
    }

    /// <summary>
    /// A group held by its route's time intervals: nothing is told; its alerts that nobody was told of yet are
    /// marked held (their clocks wait), and its episode starts, so the first notice goes out as the interval opens.
    /// </summary>
    private static bool Hold(GroupState group, List<AlertRecord> effective, DateTimeOffset now, Decision decision)
    {
        bool changed = false;
        if (group.EpisodeStart is null && effective.Count > 0)
        {
            group.EpisodeStart = now;
            changed = true;
        }

        foreach (var alert in effective)
        {
            decision.Suppressed.Add(alert.Key);
            if (alert.HeldAt is null && alert.ReleasedAt is null && !group.Notified.Values.Any(p => p.Firing.Contains(alert.Key)))
            {
                Touch(decision, alert).HeldAt = now;
            }
        }

        return changed;
    }

    /// <summary>Held alerts whose interval opened: their clocks start now. Replaces them in <paramref name="effective"/>.</summary>
    private static void Release(List<AlertRecord> effective, DateTimeOffset now, Decision decision)
    {
        for (int i = 0; i < effective.Count; i++)
        {
            if (effective[i].HeldAt is not null && effective[i].ReleasedAt is null)
            {
                var released = Touch(decision, effective[i]);
                released.ReleasedAt = now;
                effective[i] = released;
            }
        }
    }

    /// <summary>The decision's own copy of an alert, to change.</summary>
    private static AlertRecord Touch(Decision decision, AlertRecord alert)
    {
        if (decision.Changes.Alerts.TryGetValue(alert.Key, out var changed) && changed is not null)
        {
            return changed;
        }

        var copy = alert.Clone();
        decision.Changes.Alerts[alert.Key] = copy;
        return copy;
    }

    /// <summary>Moves <paramref name="group"/> (the decision's own copy) on; true when it changed.</summary>
    private static bool DecideGroup(AlertBook book, AlertPolicy policy, DateTimeOffset now, GroupState group, List<AlertRecord> all, List<AlertRecord> effective, Decision decision, IIdSource ids)
    {
        bool changed = false;
        if (group.EpisodeStart is null && effective.Count > 0)
        {
            group.EpisodeStart = now;
            changed = true;
        }

        var unacked = effective.Where(a => a.AckedAt is null).ToList();
        var sample = effective.FirstOrDefault() ?? all.FirstOrDefault();
        var steps = policy.Escalation(group, sample);
        if (unacked.Count > 0)
        {
            var since = unacked.Min(a => a.ClockStart ?? a.ActiveAt);
            // A step outside its time intervals waits for them to open, and the steps after it wait with it.
            while (group.EscalationStep < steps.Count && now >= since + steps[group.EscalationStep].After && steps[group.EscalationStep].OpenAt(now))
            {
                group.EscalationStep++;
                decision.Escalations.Add((group.Severity, group.EscalationStep));
                changed = true;
            }
        }

        IReadOnlyList<string> targets = sample is null ? [] : policy.Receivers(group, sample);
        IReadOnlyList<string> first = sample is null ? [] : policy.Route(sample).Receivers;
        var severityPolicy = policy.For(group.Severity);
        bool waited = group.EpisodeStart is { } start && now >= start + policy.GroupWait;

        foreach (var receiver in targets.Concat(group.Notified.Keys).Distinct(StringComparer.Ordinal).ToList())
        {
            var current = targets.Contains(receiver) ? effective : [];
            if (!group.Notified.TryGetValue(receiver, out var progress))
            {
                bool escalated = !first.Contains(receiver);
                if (current.Count == 0 || (!waited && !escalated))
                {
                    if (current.Count > 0 && group.EpisodeStart is { } episode)
                    {
                        decision.Due(episode + policy.GroupWait);
                    }

                    continue;
                }

                Emit(decision, ids, group, receiver, NotificationKind.Firing, escalated ? NotificationReason.Escalation : NotificationReason.First, current, [], now);
                progress = new ReceiverProgress { LastSentAt = now };
                progress.Firing.UnionWith(current.Select(a => a.Key));
                group.Notified[receiver] = progress;
                changed = true;
                continue;
            }

            var resolved = progress.Firing.Where(key => !book.Alerts.TryGetValue(key, out var a) || a.Status != AlertStatus.Firing).ToList();
            bool added = current.Any(a => !progress.Firing.Contains(a.Key));
            if ((added || resolved.Count > 0) && now < progress.LastSentAt + policy.GroupInterval)
            {
                decision.Due(progress.LastSentAt + policy.GroupInterval);
            }

            if ((added || resolved.Count > 0) && now >= progress.LastSentAt + policy.GroupInterval)
            {
                var kind = current.Count > 0 ? NotificationKind.Firing : NotificationKind.Resolved;
                var resolvedAlerts = resolved.Select(key => book.Alerts.GetValueOrDefault(key)).OfType<AlertRecord>().ToList();
                Emit(decision, ids, group, receiver, kind, added ? NotificationReason.Update : NotificationReason.Resolution, current, resolvedAlerts, now);
                progress.Firing.ExceptWith(resolved);
                progress.Firing.UnionWith(current.Select(a => a.Key));
                progress.LastSentAt = now;
                if (kind == NotificationKind.Firing)
                {
                    progress.AckSent = false;
                }

                changed = true;
            }
            else if (current.Any(a => a.AckedAt is null) && now >= progress.LastSentAt + severityPolicy.Repeat)
            {
                Emit(decision, ids, group, receiver, NotificationKind.Firing, NotificationReason.Repeat, current, [], now);
                progress.LastSentAt = now;
                changed = true;
            }
            else if (!progress.AckSent && current.Count > 0 && current.All(a => a.AckedAt is not null) && progress.Firing.SetEquals(current.Select(a => a.Key)))
            {
                Emit(decision, ids, group, receiver, NotificationKind.Acknowledged, NotificationReason.Acknowledgement, current, [], now);
                progress.AckSent = true;
                changed = true;
            }

            if (progress.Firing.Count == 0)
            {
                group.Notified.Remove(receiver);
                changed = true;
            }
        }

        return changed;
    }

    private static void Emit(Decision decision, IIdSource ids, GroupState group, string receiver, NotificationKind kind, NotificationReason reason, List<AlertRecord> firing, List<AlertRecord> resolved, DateTimeOffset now) =>
        decision.Notifications.Add(new Notification
        {
            Id = ids.NewId(),
            Receiver = receiver,
            GroupKey = group.Key,
            DedupKey = group.DedupKey,
            Severity = group.Severity,
            Kind = kind,
            Reason = reason,
            GroupLabels = new SortedDictionary<string, string>(group.GroupLabels, StringComparer.Ordinal),
            Alerts = [.. firing.Select(AlertSnapshot.Of), .. resolved.Select(AlertSnapshot.Of)],
            CreatedAt = now,
        });

    /// <summary>Counts each alert's <c>ack_within</c> and <c>resolve_within</c> breach once.</summary>
    private static void CheckSla(AlertBook book, AlertPolicy policy, DateTimeOffset now, Decision decision)
    {
        foreach (var stored in book.Alerts.Values)
        {
            // This decision's version: held alerts' clocks start at their release.
            var alert = decision.Changes.Alerts.TryGetValue(stored.Key, out var changed) && changed is not null ? changed : stored;
            if (alert.ClockStart is not { } fired)
            {
                continue;
            }

            var sla = policy.For(alert.Severity);
            bool ack = !alert.AckBreached && (alert.AckedAt ?? (alert.Status == AlertStatus.Firing ? now : DateTimeOffset.MinValue)) - fired >= sla.AckWithin;
            bool resolve = !alert.ResolveBreached && sla.ResolveWithin is { } resolveWithin && (alert.ResolvedAt ?? now) - fired >= resolveWithin;
            if (!ack && !resolve)
            {
                continue;
            }

            var breached = Touch(decision, alert);
            if (ack)
            {
                breached.AckBreached = true;
                decision.SlaBreaches.Add((alert.Severity, SlaKind.Ack));
            }

            if (resolve)
            {
                breached.ResolveBreached = true;
                decision.SlaBreaches.Add((alert.Severity, SlaKind.Resolve));
            }

        }
    }

    /// <summary>Drops resolved alerts no receiver still has to hear about, once they are older than the retention.</summary>
    private static void RemoveFinished(AlertBook book, DateTimeOffset now, Decision decision)
    {
        HashSet<string>? referenced = null;
        foreach (var alert in book.Alerts.Values.Where(a => a.Status == AlertStatus.Resolved && now - (a.ResolvedAt ?? now) >= ResolvedRetention))
        {
            // The groups as this decision leaves them: its own versions where it changed them.
            referenced ??= [.. book.Groups.Keys.Concat(decision.Changes.Groups.Keys).Distinct(StringComparer.Ordinal)
                .Select(k => decision.Changes.Groups.TryGetValue(k, out var changed) ? changed : book.Groups[k])
                .OfType<GroupState>()
                .SelectMany(g => g.Notified.Values.SelectMany(p => p.Firing))];
            if (!referenced.Contains(alert.Key))
            {
                decision.Changes.Alerts[alert.Key] = null;
            }
        }
    }
}
