using Monitor.Alerting;

namespace Monitor.Delivery;

internal enum DeliveryOutcome
{
    /// <summary>The provider accepted it (2xx), or the medium has nothing to say for this kind.</summary>
    Delivered,

    /// <summary>Network error, timeout, 5xx or 429: try again later.</summary>
    Retry,

    /// <summary>The provider refused it (other 4xx): retrying cannot help.</summary>
    Rejected,
}

/// <summary>The provider's answer, kept for logs, metrics and the API.</summary>
internal sealed record DeliveryResult(DeliveryOutcome Outcome, string Detail, TimeSpan? RetryAfter = null)
{
    public static DeliveryResult Skipped(string why) => new(DeliveryOutcome.Delivered, why);
}

/// <summary>One receiver's medium: renders a notification in the provider's wire format and sends it.</summary>
internal interface INotifier
{
    /// <summary>Least time between two messages to this receiver (Slack: about one a second).</summary>
    TimeSpan MinInterval { get; }

    /// <summary>Messages in flight at once.</summary>
    int Concurrency { get; }

    /// <summary>
    /// At most this many messages in any window of this length (PagerDuty: 120 events a minute per integration key),
    /// or null. Unlike <see cref="MinInterval"/> it lets a burst, and a retry right after a failure, go at once.
    /// </summary>
    (int Count, TimeSpan Period)? Budget => null;

    Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>
/// A notifier that keeps telling the provider about firing alerts on its own (Alertmanager: re-sent every
/// minute). When this replica takes over the alerting, it is told which firing alerts it had told before.
/// </summary>
internal interface IResendsFiringAlerts
{
    void Seed(IEnumerable<AlertSnapshot> alerts);
}
