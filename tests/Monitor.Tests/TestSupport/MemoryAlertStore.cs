using Monitor.Alerting;

namespace Monitor.Tests.TestSupport;

/// <summary>An alert store in memory, for the loops around the pure parts: it records what it is told.</summary>
internal sealed class MemoryAlertStore : IAlertStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OutboxEntry> _outbox = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _reports = new(StringComparer.Ordinal);

    public string Kind { get; set; } = "sqlite";

    /// <summary>What <see cref="AcquireLeaseAsync"/> answers (a shared store's lease, played by the test).</summary>
    public Func<long?> Lease { get; set; } = () => 1;

    public List<(string Id, int Attempts, DateTimeOffset? NextAttempt, string Error)> Failed { get; } = [];

    public List<(string Id, int Attempts)> Delivered { get; } = [];

    public TaskCompletionSource Marked { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task MigrateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<AlertBook> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(new AlertBook());

    public Task SaveAsync(StoreChanges changes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (var n in changes.Notifications)
            {
                _outbox.TryAdd(n.Id, new OutboxEntry(n, OutboxStatus.Pending, 0, n.CreatedAt, null, null)); // ON CONFLICT DO NOTHING, as the SQL store
            }

            foreach (var (name, at) in changes.Reports)
            {
                _reports[name] = at;
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxEntry>> PendingAsync(DateTimeOffset dueBy, int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<OutboxEntry>>([.. _outbox.Values.Where(e => e.Status == OutboxStatus.Pending && e.NextAttemptAt <= dueBy).Take(limit)]);
        }
    }

    public Task MarkDeliveredAsync(string id, int attempts, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Delivered.Add((id, attempts));
            if (_outbox.TryGetValue(id, out var e))
            {
                _outbox[id] = e with { Status = OutboxStatus.Delivered, Attempts = attempts, DeliveredAt = at };
            }
        }

        Signal();
        return Task.CompletedTask;
    }

    public Task MarkFailedAsync(string id, int attempts, DateTimeOffset? nextAttempt, string error, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Failed.Add((id, attempts, nextAttempt, error));
            if (_outbox.TryGetValue(id, out var e))
            {
                _outbox[id] = e with { Status = nextAttempt is null ? OutboxStatus.Failed : OutboxStatus.Pending, Attempts = attempts, NextAttemptAt = nextAttempt ?? e.NextAttemptAt, LastError = error };
            }
        }

        Signal();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxEntry>> FailuresAsync(int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<OutboxEntry>>([.. _outbox.Values.Where(e => e.Attempts > 0 && e.Status != OutboxStatus.Delivered).Take(limit)]);
        }
    }

    public Task<int> QueueLengthAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_outbox.Values.Count(e => e.Status == OutboxStatus.Pending));
        }
    }

    public IReadOnlyList<OutboxEntry> Outbox()
    {
        lock (_lock)
        {
            return [.. _outbox.Values];
        }
    }

    public Task<IReadOnlyDictionary<string, DateTimeOffset>> ReportMarksAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyDictionary<string, DateTimeOffset>>(new Dictionary<string, DateTimeOffset>(_reports, StringComparer.Ordinal));
        }
    }

    public Task<long?> AcquireLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken) => Task.FromResult(Lease());

    public LeaseFence? Fence { get; set; }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Signal()
    {
        var marked = Marked;
        Marked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        marked.TrySetResult();
    }
}
