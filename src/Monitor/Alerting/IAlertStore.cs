namespace Monitor.Alerting;

/// <summary>
/// The durable state of the lifecycle (docs/alerting.md): alerts with their <c>for</c>-since times and acks, groups with
/// their escalation progress, silences, and the notification outbox. Two implementations share one SQL
/// schema: SQLite (embedded, the default) and PostgreSQL (shared by several replicas).
/// </summary>
internal interface IAlertStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }

    /// <summary>Creates the schema, or migrates an older one to the current version.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    Task PingAsync(CancellationToken cancellationToken);

    Task<AlertBook> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Writes every change and every new outbox entry in one transaction: all of it lands or none.</summary>
    Task SaveAsync(StoreChanges changes, CancellationToken cancellationToken);

    /// <summary>Undelivered entries whose next attempt is due by <paramref name="dueBy"/>, most severe first.</summary>
    Task<IReadOnlyList<OutboxEntry>> PendingAsync(DateTimeOffset dueBy, int limit, CancellationToken cancellationToken);

    Task MarkDeliveredAsync(string id, int attempts, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Records a failed attempt: retried at <paramref name="nextAttempt"/>, or given up when it is null.</summary>
    Task MarkFailedAsync(string id, int attempts, DateTimeOffset? nextAttempt, string error, CancellationToken cancellationToken);

    /// <summary>Entries that failed at least once and are not delivered (given up, or waiting to retry).</summary>
    Task<IReadOnlyList<OutboxEntry>> FailuresAsync(int limit, CancellationToken cancellationToken);

    Task<int> QueueLengthAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Per report name, the last occurrence that was sent (or the instant its schedule was first seen): what
    /// a report occurrence missed while down is measured from (docs/delivery.md, "Reports").
    /// </summary>
    Task<IReadOnlyDictionary<string, DateTimeOffset>> ReportMarksAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Takes or renews the named lease for <paramref name="owner"/> until <paramref name="expiresAt"/>. While
    /// <paramref name="owner"/> holds it, returns the lease's fencing token: a counter raised on every acquisition
    /// (a takeover, or the same owner again after its lease ran out) and kept by a renewal; null when another
    /// owner holds it. Replicas sharing a store send only while they hold the lease.
    /// </summary>
    Task<long?> AcquireLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// The lease every write is made under, once this replica has held it: a write (state, outbox entries,
    /// delivered and failed marks) lands only while the lease still carries this owner and token, checked in the
    /// write's own transaction; otherwise it throws <see cref="LeaseFencedException"/> and changes nothing.
    /// Null: unfenced (the embedded store has one writer).
    /// </summary>
    LeaseFence? Fence { get; set; }
}

/// <summary>The owner and fencing token a replica writes under.</summary>
internal sealed record LeaseFence(string Owner, long Token);

/// <summary>A write refused because the lease has moved on: another replica took over (or the token changed).</summary>
internal sealed class LeaseFencedException(string message) : System.Data.Common.DbException(message);

internal enum OutboxStatus
{
    Pending,
    Delivered,
    Failed,
}

internal sealed record OutboxEntry(Notification Notification, OutboxStatus Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastError, DateTimeOffset? DeliveredAt);

/// <summary>
/// One transaction's worth of changes. Later changes to the same key replace earlier ones (a null value is a
/// deletion), so changes that could not be saved are kept and saved with the next ones.
/// </summary>
internal sealed class StoreChanges
{
    /// <summary>When the changes were made (the rows' <c>updated_at</c>).</summary>
    public DateTimeOffset At { get; set; }

    public Dictionary<string, AlertRecord?> Alerts { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, GroupState?> Groups { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Silence?> Silences { get; } = new(StringComparer.Ordinal);

    public List<Notification> Notifications { get; } = [];

    /// <summary>Report marks (<see cref="IAlertStore.ReportMarksAsync"/>) to record, by report name.</summary>
    public Dictionary<string, DateTimeOffset> Reports { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Alerts.Count == 0 && Groups.Count == 0 && Silences.Count == 0 && Notifications.Count == 0 && Reports.Count == 0;

    public void Clear()
    {
        Alerts.Clear();
        Groups.Clear();
        Silences.Clear();
        Notifications.Clear();
        Reports.Clear();
    }

    /// <summary>Takes <paramref name="later"/>'s changes over these (its values win on the same key).</summary>
    public void Merge(StoreChanges later)
    {
        foreach (var (key, value) in later.Alerts)
        {
            Alerts[key] = value;
        }

        foreach (var (key, value) in later.Groups)
        {
            Groups[key] = value;
        }

        foreach (var (key, value) in later.Silences)
        {
            Silences[key] = value;
        }

        Notifications.AddRange(later.Notifications);
        foreach (var (key, value) in later.Reports)
        {
            Reports[key] = value;
        }
    }
}
