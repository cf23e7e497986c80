namespace Monitor.Alerting;

/// <summary>What the HTTP API and the reports may ask of the alerting; every call is answered by its loop.</summary>
internal interface IAlertService
{
    /// <summary>Null when the store answered the last write; else why not (for /readyz).</summary>
    string? StoreProblem { get; }

    bool IsLeader { get; }

    AlertPolicy? Policy { get; }

    /// <summary>Firing alerts that were silenced or inhibited at the last decision.</summary>
    IReadOnlySet<string> Suppressed { get; }

    /// <summary>Acknowledges an alert; with <paramref name="episode"/>, only if its current firing episode passes it (an ack link's).</summary>
    Task<AckResult> AcknowledgeAsync(string fingerprint, string by, string comment, Func<DateTimeOffset, bool>? episode = null);

    Task<Silence> AddSilenceAsync(Silence silence);

    Task<bool> ExpireSilenceAsync(string id);

    /// <summary>Alerts of an Alertmanager webhook; answers how many changed something.</summary>
    Task<int> IngestAsync(IReadOnlyList<IncomingAlert> alerts);

    Task<List<AlertRecord>> ActiveAlertsAsync();

    /// <summary>Active alerts with the escalation step of each one's group, read in one turn of the loop.</summary>
    Task<List<(AlertRecord Alert, int EscalationStep)>> ActiveAlertsWithStepsAsync();

    Task<List<Silence>> SilencesAsync();

    /// <summary>Outbox entries that failed at least once and are not delivered.</summary>
    Task<IReadOnlyList<OutboxEntry>> DeliveryFailuresAsync(int limit, CancellationToken cancellationToken);
}
