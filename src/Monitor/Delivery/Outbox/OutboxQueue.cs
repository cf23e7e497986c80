using Monitor.Alerting;

namespace Monitor.Delivery.Outbox;

/// <summary>How fast and how wide a receiver may be sent to: a spacing, a concurrency, and a budget per window.</summary>
internal sealed record ReceiverLimits(TimeSpan MinInterval, int Concurrency, (int Count, TimeSpan Period)? Budget = null);

/// <summary>
/// What the outbox holds in memory, by receiver, with no I/O and no clock (every call is given <c>now</c>): ready
/// entries by severity then age, delayed ones by due time; per receiver a rate (one message per
/// <see cref="ReceiverLimits.MinInterval"/>, a <c>Retry-After</c> hold) and a concurrency. Messages of one group go
/// out in order: while one is in flight or waiting to retry, later ones of its group are held, so a resolve never
/// overtakes the trigger it resolves.
/// </summary>
internal sealed class OutboxQueue
{
    private readonly Dictionary<string, ReceiverQueue> _queues = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>Entries held for every receiver: ready, delayed, held behind their group, and in flight.</summary>
    public int Count => _queues.Values.Sum(q => q.Count);

    /// <summary>Adds an entry (once: an entry already held is ignored), ready or delayed by its next attempt.</summary>
    public void Add(OutboxEntry entry, DateTimeOffset now)
    {
        if (!_known.Add(entry.Notification.Id))
        {
            return;
        }

        var queue = Queue(entry.Notification.Receiver);
        if (entry.NextAttemptAt > now)
        {
            if (queue.Claim(entry)) // a retry keeps its group's later messages behind it
            {
                queue.Delay(entry);
            }
        }
        else
        {
            queue.Ready(entry);
        }
    }

    /// <summary>
    /// Takes every entry that may be sent now, marking it in flight. Entries of receivers that <paramref name="limits"/>
    /// does not know (no longer configured) are taken as orphans. <paramref name="next"/> is when the next entry could
    /// be due, at most a second away.
    /// </summary>
    public (List<OutboxEntry> Send, List<OutboxEntry> Orphans) TakeDue(DateTimeOffset now, Func<string, ReceiverLimits?> limits, out TimeSpan next)
    {
        next = TimeSpan.FromSeconds(1);
        var send = new List<OutboxEntry>();
        var orphans = new List<OutboxEntry>();
        foreach (var (name, queue) in _queues)
        {
            queue.Promote(now);
            if (limits(name) is not { } limit)
            {
                while (queue.TryTake(out var orphan))
                {
                    orphans.Add(orphan!);
                }

                continue;
            }

            while (queue.InFlight < limit.Concurrency && queue.ReadyCount > 0)
            {
                if (now < queue.NotBefore)
                {
                    next = Min(next, queue.NotBefore - now);
                    break;
                }

                if (limit.Budget is { } budget && queue.BudgetFreeAt(now, budget) is { } free)
                {
                    next = Min(next, free - now);
                    break;
                }

                queue.TryTake(out var entry);
                if (!queue.Claim(entry!))
                {
                    continue; // an older message of the same group is still on its way: keep the order
                }

                queue.InFlight++;
                queue.NotBefore = now + limit.MinInterval;
                queue.Spent(now);
                send.Add(entry!);
            }

            if (queue.NextDelayed is { } due)
            {
                next = Min(next, due - now);
            }
        }

        if (next < TimeSpan.FromMilliseconds(10))
        {
            next = TimeSpan.FromMilliseconds(10);
        }

        return (send, orphans);
    }

    /// <summary>An attempt of a taken entry ended with <paramref name="verdict"/>.</summary>
    public void Complete(OutboxEntry entry, Verdict verdict, string? lastError)
    {
        var queue = Queue(entry.Notification.Receiver);
        queue.InFlight = Math.Max(0, queue.InFlight - 1);
        Settle(entry, verdict, lastError);
    }

    /// <summary>An orphan (or an entry that never went out) ended with <paramref name="verdict"/>.</summary>
    public void Settle(OutboxEntry entry, Verdict verdict, string? lastError)
    {
        var queue = Queue(entry.Notification.Receiver);
        if (verdict.HoldReceiverUntil is { } hold && queue.NotBefore < hold)
        {
            queue.NotBefore = hold;
        }

        if (verdict.Kind == VerdictKind.Retry)
        {
            queue.Delay(entry with { Attempts = verdict.Attempts, NextAttemptAt = verdict.NextAttemptAt!.Value, LastError = lastError });
            return;
        }

        _known.Remove(entry.Notification.Id);
        queue.Release(entry.Notification);
    }

    /// <summary>A taken entry's send was cut short (shutdown): it stays pending in the store and its group claimed.</summary>
    public void Abandon(OutboxEntry entry)
    {
        var queue = Queue(entry.Notification.Receiver);
        queue.InFlight = Math.Max(0, queue.InFlight - 1);
    }

    /// <summary>Forgets everything held (the store stays the truth).</summary>
    public void Clear()
    {
        _queues.Clear();
        _known.Clear();
    }

    private ReceiverQueue Queue(string receiver)
    {
        if (!_queues.TryGetValue(receiver, out var queue))
        {
            queue = new ReceiverQueue();
            _queues[receiver] = queue;
        }

        return queue;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>One receiver's entries.</summary>
    private sealed class ReceiverQueue
    {
        private readonly PriorityQueue<OutboxEntry, (int Severity, DateTimeOffset Created, string Id)> _ready = new();
        private readonly PriorityQueue<OutboxEntry, DateTimeOffset> _delayed = new();
        private readonly Dictionary<string, string> _claimed = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<OutboxEntry>> _held = new(StringComparer.Ordinal);

        /// <summary>Takes the group for this entry, or holds the entry until the group's earlier message is done.</summary>
        public bool Claim(OutboxEntry entry)
        {
            string group = entry.Notification.GroupKey;
            if (_claimed.TryGetValue(group, out string? owner) && owner != entry.Notification.Id)
            {
                if (!_held.TryGetValue(group, out var held))
                {
                    held = [];
                    _held[group] = held;
                }

                held.Add(entry);
                return false;
            }

            _claimed[group] = entry.Notification.Id;
            return true;
        }

        /// <summary>The entry is done (delivered or given up): its group's held messages may go.</summary>
        public void Release(Notification done)
        {
            if (_claimed.TryGetValue(done.GroupKey, out string? owner) && owner == done.Id)
            {
                _claimed.Remove(done.GroupKey);
                if (_held.Remove(done.GroupKey, out var held))
                {
                    held.ForEach(Ready);
                }
            }
        }

        public int InFlight { get; set; }

        private readonly Queue<DateTimeOffset> _sent = new();

        public void Spent(DateTimeOffset now) => _sent.Enqueue(now);

        /// <summary>Null when the budget allows a message now; else when it will (the oldest counted send leaves the window).</summary>
        public DateTimeOffset? BudgetFreeAt(DateTimeOffset now, (int Count, TimeSpan Period) budget)
        {
            while (_sent.TryPeek(out var oldest) && oldest <= now - budget.Period)
            {
                _sent.Dequeue();
            }

            return _sent.Count < budget.Count ? null : _sent.Peek() + budget.Period;
        }

        public DateTimeOffset NotBefore { get; set; }

        public int Count => _ready.Count + _delayed.Count + InFlight + _held.Values.Sum(h => h.Count);

        public int ReadyCount => _ready.Count;

        public DateTimeOffset? NextDelayed => _delayed.TryPeek(out _, out var due) ? due : null;

        public void Ready(OutboxEntry entry) =>
            _ready.Enqueue(entry, ((int)entry.Notification.Severity, entry.Notification.CreatedAt, entry.Notification.Id));

        public void Delay(OutboxEntry entry) => _delayed.Enqueue(entry, entry.NextAttemptAt);

        public void Promote(DateTimeOffset now)
        {
            while (_delayed.TryPeek(out var entry, out var due) && due <= now)
            {
                _delayed.Dequeue();
                Ready(entry);
            }
        }

        public bool TryTake(out OutboxEntry? entry) => _ready.TryDequeue(out entry, out _);
    }
}
