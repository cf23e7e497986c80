using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.Delivery.Outbox;

namespace Monitor.Tests.Delivery.Outbox;

/// <summary>The delivery rules with an injected jitter and plain timestamps.</summary>
public sealed class OutboxPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    internal static Notification Note(string id, Severity? severity = null, string group = "g", string receiver = "hook", DateTimeOffset? created = null, NotificationReason reason = NotificationReason.First) => new()
    {
        Id = id,
        Receiver = receiver,
        GroupKey = group,
        DedupKey = "d-" + group,
        Severity = severity ?? Severity.P2,
        Kind = NotificationKind.Firing,
        Reason = reason,
        GroupLabels = new Dictionary<string, string>(),
        Alerts = [],
        CreatedAt = created ?? T0,
    };

    internal static OutboxEntry Entry(Notification n, int attempts = 0, DateTimeOffset? next = null) => new(n, OutboxStatus.Pending, attempts, next ?? n.CreatedAt, null, null);

    [Theory]
    [InlineData(1, 0.25)]
    [InlineData(2, 0.5)]
    [InlineData(3, 1)]
    [InlineData(11, 256)]
    [InlineData(12, 300)]
    [InlineData(40, 300)]
    public void Backoff_DoublesFromAQuarterSecond_UpToFiveMinutes_WithinTwentyPercent(int attempts, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds * 0.8), new OutboxPolicy(() => 0).Backoff(attempts));
        Assert.Equal(TimeSpan.FromSeconds(seconds), new OutboxPolicy(() => 0.5).Backoff(attempts));
        Assert.Equal(TimeSpan.FromSeconds(seconds * 1.2), new OutboxPolicy(() => 1).Backoff(attempts));
    }

    [Fact]
    public void Delivered_IsRecordedWithTheAttempt_AndNeitherHoldsNorFallsBack()
    {
        var verdict = new OutboxPolicy(() => 0.5).Judge(Entry(Note("a"), attempts: 2), new DeliveryResult(DeliveryOutcome.Delivered, "202"), T0);
        Assert.Equal(new Verdict(VerdictKind.Delivered, 3, null, null, Fallback: false, GivenUp: false), verdict);
    }

    [Fact]
    public void Retry_IsDueAfterTheBackoff()
    {
        var verdict = new OutboxPolicy(() => 0.5).Judge(Entry(Note("a"), attempts: 2), new DeliveryResult(DeliveryOutcome.Retry, "503"), T0.AddSeconds(30));
        Assert.Equal(VerdictKind.Retry, verdict.Kind);
        Assert.Equal(3, verdict.Attempts);
        Assert.Equal(T0.AddSeconds(31), verdict.NextAttemptAt); // the third attempt: 1 s
        Assert.Null(verdict.HoldReceiverUntil);
        Assert.False(verdict.Fallback);
    }

    [Fact]
    public void RetryAfter_LongerThanTheBackoff_DelaysTheEntry_AndHoldsTheReceiver()
    {
        var verdict = new OutboxPolicy(() => 0.5).Judge(Entry(Note("a")), new DeliveryResult(DeliveryOutcome.Retry, "429", TimeSpan.FromSeconds(30)), T0);
        Assert.Equal(T0.AddSeconds(30), verdict.NextAttemptAt);
        Assert.Equal(T0.AddSeconds(30), verdict.HoldReceiverUntil);
    }

    [Fact]
    public void RetryAfter_ShorterThanTheBackoff_KeepsTheBackoff_ButHoldsTheReceiverOnlyForRetryAfter()
    {
        var verdict = new OutboxPolicy(() => 0.5).Judge(Entry(Note("a"), attempts: 5), new DeliveryResult(DeliveryOutcome.Retry, "429", TimeSpan.FromSeconds(1)), T0);
        Assert.Equal(T0.AddSeconds(8), verdict.NextAttemptAt); // the sixth attempt: 8 s
        Assert.Equal(T0.AddSeconds(1), verdict.HoldReceiverUntil);
    }

    [Fact]
    public void Fallback_IsToldOnce_AtTheFourthFailedAttempt()
    {
        var policy = new OutboxPolicy(() => 0.5);
        var fallbacks = Enumerable.Range(0, 8)
            .Select(done => policy.Judge(Entry(Note("a"), attempts: done), new DeliveryResult(DeliveryOutcome.Retry, "500"), T0).Fallback)
            .ToList();
        Assert.Equal([false, false, false, true, false, false, false, false], fallbacks);
    }

    [Fact]
    public void Refusal_IsNotRetried_AndGoesToTheFallback_UnlessItAlreadyDid()
    {
        var policy = new OutboxPolicy(() => 0.5);
        var first = policy.Judge(Entry(Note("a")), new DeliveryResult(DeliveryOutcome.Rejected, "400 bad key"), T0);
        Assert.Equal(new Verdict(VerdictKind.Failed, 1, null, null, Fallback: true, GivenUp: false), first);

        // After four failed attempts the fallback was told when the fourth failed: a later refusal does not tell it again.
        var late = policy.Judge(Entry(Note("a"), attempts: 4), new DeliveryResult(DeliveryOutcome.Rejected, "400"), T0);
        Assert.False(late.Fallback);
    }

    [Fact]
    public void RetriesForADay_AreGivenUp()
    {
        var policy = new OutboxPolicy(() => 0.5);
        var entry = Entry(Note("a", created: T0), attempts: 300);
        Assert.Equal(VerdictKind.Retry, policy.Judge(entry, new DeliveryResult(DeliveryOutcome.Retry, "500"), T0 + OutboxPolicy.GiveUpAfter - TimeSpan.FromSeconds(1)).Kind);
        var verdict = policy.Judge(entry, new DeliveryResult(DeliveryOutcome.Retry, "500"), T0 + OutboxPolicy.GiveUpAfter);
        Assert.Equal(VerdictKind.Failed, verdict.Kind);
        Assert.True(verdict.GivenUp);
        Assert.Null(verdict.NextAttemptAt);
    }

    [Fact]
    public void FallbackFor_IsNeverTheReceiverItself_NorForAFallbackOrTestMessage()
    {
        Assert.Equal("mail", OutboxPolicy.FallbackFor(Note("a"), "pager", "mail"));
        Assert.Null(OutboxPolicy.FallbackFor(Note("a"), "pager", null));
        Assert.Null(OutboxPolicy.FallbackFor(Note("a"), "mail", "mail"));
        Assert.Null(OutboxPolicy.FallbackFor(Note("a", reason: NotificationReason.Fallback), "pager", "mail"));
        Assert.Null(OutboxPolicy.FallbackFor(Note("a", reason: NotificationReason.Test), "pager", "mail"));
    }
}
