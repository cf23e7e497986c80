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

    /// <summary>True while this replica holds the alerting lease: only then does it send.</summary>
    bool IsLeader { get; }

    IAlertStore? Store { get; }

    /// <summary>A new notification id, from the alerting's id source.</summary>
    string NewNotificationId();
}
