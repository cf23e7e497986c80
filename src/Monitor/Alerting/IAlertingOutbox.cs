namespace Monitor.Alerting;

/// <summary>What the alerting offers the outbox that sends its notifications.</summary>
internal interface IAlertingOutbox
{
    /// <summary>Raised after notifications were committed to the outbox.</summary>
    event Action<IReadOnlyList<Notification>>? Committed;

    /// <summary>
    /// Raised when this replica (re)gains the lease: the outbox must be read again from the store. The argument
    /// lists, per receiver, the firing alerts it has been told about.
    /// </summary>
    event Action<IReadOnlyDictionary<string, List<AlertSnapshot>>>? LeadershipAcquired;

    /// <summary>Raised when this replica loses the lease: entries held in memory must be dropped.</summary>
    event Action? LeadershipLost;

    /// <summary>True while this replica holds the alerting lease.</summary>
    bool IsLeader { get; }

    /// <summary>
    /// True while this replica holds the lease and its own monotonic clock says the lease has not run out: the
    /// dispatcher checks it before every send.
    /// </summary>
    bool MaySend { get; }

    IAlertStore? Store { get; }

    /// <summary>A new notification id, from the alerting's id source.</summary>
    string NewNotificationId();
}
