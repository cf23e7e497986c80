namespace Monitor.Alerting;

/// <summary>How a lease check changed this replica's role.</summary>
internal enum LeaseChange
{
    Unchanged,
    Acquired,
    Lost,

    /// <summary>Held before and after, but under a new fencing token: another replica led in between.</summary>
    Reacquired,
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

    /// <summary>How long before the lease's own expiry this replica stops sending: slack for clock rate and the round trip.</summary>
    public static readonly TimeSpan SafetyMargin = TimeSpan.FromSeconds(2);

    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;
    private long _grantedAt;
    private bool _embedded;

    /// <summary>This replica's name in the lease table: host, process and a random part.</summary>
    public string Owner { get; } = owner;

    public bool IsLeader { get; private set; }

    /// <summary>The fencing token of the lease as last granted to this replica (0 before, and on the embedded store).</summary>
    public long FencingToken { get; private set; }

    /// <summary>The monotonic clock the lease's expiry is measured on.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>
    /// Whether this replica may send now: it holds the lease and, by its own monotonic clock, the lease it was
    /// granted (measured from before the request that granted it) has more than <see cref="SafetyMargin"/> left.
    /// A leader paused past its lease stops at once on waking, before any store round trip.
    /// </summary>
    public bool HoldsNow => IsLeader && (_embedded || Time.GetElapsedTime(_grantedAt) < Ttl - SafetyMargin);

    /// <summary>Gives the role up until the next check (a write was fenced: the lease has moved on).</summary>
    public void Invalidate()
    {
        IsLeader = false;
        _checkedAt = DateTimeOffset.MinValue;
    }

    public static AlertingLease ForThisProcess() => new($"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>Takes or renews the lease when due; throws what the store throws, keeping the role.</summary>
    public async Task<LeaseChange> CheckAsync(IAlertStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (IsLeader && ((now - _checkedAt < Renew && now >= _checkedAt) || store.Kind == "sqlite"))
        {
            return LeaseChange.Unchanged;
        }

        _embedded = store.Kind == "sqlite";
        long requested = Time.GetTimestamp();
        long? token = _embedded ? 0 : await store.AcquireLeaseAsync("alerting", Owner, now, now + Ttl, cancellationToken);
        _checkedAt = now;
        bool was = IsLeader;
        long previous = FencingToken;
        IsLeader = token is not null;
        if (token is { } granted)
        {
            _grantedAt = requested;
            FencingToken = granted;
            if (!_embedded)
            {
                store.Fence = new LeaseFence(Owner, granted);
            }
        }

        return (was, IsLeader) switch
        {
            (false, true) => LeaseChange.Acquired,
            (true, false) => LeaseChange.Lost,
            (true, true) when token != previous => LeaseChange.Reacquired,
            _ => LeaseChange.Unchanged,
        };
    }
}
