using Monitor.Alerting;

namespace Monitor.Delivery.Outbox;

/// <summary>How one attempt ends, and what the outbox does next.</summary>
internal enum VerdictKind
{
    /// <summary>The provider took it: mark delivered, let the group's next message go.</summary>
    Delivered,

    /// <summary>Try again at <see cref="Verdict.NextAttemptAt"/>; the group's later messages wait behind it.</summary>
    Retry,

    /// <summary>Refused, or given up after a day of retries: mark failed, let the group's next message go.</summary>
    Failed,
}

/// <summary>
/// The outcome of one attempt: what to record in the store, until when the whole receiver is held (a
/// <c>Retry-After</c>), and whether the severity's fallback receiver gets a copy now.
/// </summary>
internal sealed record Verdict(VerdictKind Kind, int Attempts, DateTimeOffset? NextAttemptAt, DateTimeOffset? HoldReceiverUntil, bool Fallback, bool GivenUp);

/// <summary>
/// The delivery rules, with no I/O and no clock: exponential backoff from 250 ms to 5 min with ±20 % jitter (the jitter
/// source is injected), a <c>Retry-After</c> both delays the entry and holds its receiver, a refusal is not retried,
/// a day of failures is given up, and the fallback receiver is told once: at the fourth failed attempt, or at a
/// refusal that comes before it.
/// </summary>
internal sealed class OutboxPolicy(Func<double> jitter)
{
    /// <summary>Attempts after which the severity's fallback receiver is also notified.</summary>
    public const int FallbackAfterAttempts = 4;

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(1);

    /// <summary>A policy with <see cref="Random.Shared"/> as its jitter.</summary>
    public static OutboxPolicy Default { get; } = new(Random.Shared.NextDouble);

    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// 250 ms, 500 ms, 1 s, 2 s … up to 5 min, each ±20 %. A provider's one-off 429 or 500 costs a page a quarter of a
    /// second (Alertmanager's first retry is ~0.5 s); a provider that keeps failing is soon asked only every few
    /// minutes. A Retry-After, where given, is what counts.
    /// </summary>
    public TimeSpan Backoff(int attempts)
    {
        double seconds = Math.Min(FirstBackoff.TotalSeconds * Math.Pow(2, Math.Min(attempts - 1, 20)), MaxBackoff.TotalSeconds);
        return TimeSpan.FromSeconds(seconds * (0.8 + (jitter() * 0.4)));
    }

    public Verdict Judge(OutboxEntry entry, DeliveryResult result, DateTimeOffset now)
    {
        int attempts = entry.Attempts + 1;
        var created = entry.Notification.CreatedAt;
        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                return new Verdict(VerdictKind.Delivered, attempts, null, null, Fallback: false, GivenUp: false);
            case DeliveryOutcome.Retry when now - created < GiveUpAfter:
                var delay = Backoff(attempts);
                DateTimeOffset? hold = null;
                if (result.RetryAfter is { } retryAfter)
                {
                    // Slack: sending on while limited can get the app disabled; hold the whole receiver.
                    delay = retryAfter > delay ? retryAfter : delay;
                    hold = now + retryAfter;
                }

                return new Verdict(VerdictKind.Retry, attempts, now + delay, hold, Fallback: attempts == FallbackAfterAttempts, GivenUp: false);
            default:
                bool givenUp = result.Outcome == DeliveryOutcome.Retry;
                return new Verdict(VerdictKind.Failed, attempts, null, null, Fallback: attempts < FallbackAfterAttempts, givenUp);
        }
    }

    /// <summary>The fallback receiver of <paramref name="n"/>'s severity, or null when none applies.</summary>
    public static string? FallbackFor(Notification n, string receiver, string? fallback) =>
        n.Reason is NotificationReason.Fallback or NotificationReason.Test || fallback is null || fallback == receiver ? null : fallback;
}
