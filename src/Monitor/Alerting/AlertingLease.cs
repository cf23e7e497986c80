namespace Monitor.Alerting;

/// <summary>How a lease check changed this replica's role.</summary>
internal enum LeaseChange
{
    Unchanged,
    Acquired,
    Lost,
}

/// <summary>
/// The alerting lease of replicas that share a store: held for <see cref="Ttl"/>, renewed every <see cref="Renew"/>;
/// only the holder decides and sends. An embedded (SQLite) store has one writer, this process, so it holds the
/// lease from the first check on. The keeper asks the store only when a renewal is due (a follower asks at every
/// check); a store that does not answer leaves the role as it is.
/// </summary>
internal sealed class AlertingLease(string owner)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan Renew = TimeSpan.FromSeconds(5);

    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    /// <summary>This replica's name in the lease table: host, process and a random part.</summary>
    public string Owner { get; } = owner;

    public bool IsLeader { get; private set; }

    public static AlertingLease ForThisProcess() => new($"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>Takes or renews the lease when due; throws what the store throws, keeping the role.</summary>
    public async Task<LeaseChange> CheckAsync(IAlertStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (IsLeader && ((now - _checkedAt < Renew && now >= _checkedAt) || store.Kind == "sqlite"))
        {
            return LeaseChange.Unchanged;
        }

        bool leader = store.Kind == "sqlite" || await store.TryAcquireLeaseAsync("alerting", Owner, now, now + Ttl, cancellationToken);
        _checkedAt = now;
        bool was = IsLeader;
        IsLeader = leader;
        return leader == was ? LeaseChange.Unchanged : leader ? LeaseChange.Acquired : LeaseChange.Lost;
    }
}
