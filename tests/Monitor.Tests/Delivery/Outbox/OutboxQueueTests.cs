using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery.Outbox;
using static Monitor.Tests.Delivery.Outbox.OutboxPolicyTests;

namespace Monitor.Tests.Delivery.Outbox;

/// <summary>What the outbox sends when, with plain timestamps: order, rate, concurrency, holds and groups.</summary>
public sealed class OutboxQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static readonly ReceiverLimits Open = new(TimeSpan.Zero, 10);

    private static List<string> Take(OutboxQueue queue, DateTimeOffset now, ReceiverLimits? limits = null) =>
        [.. queue.TakeDue(now, _ => limits ?? Open, out _).Send.Select(e => e.Notification.Id)];

    private static Verdict Delivered => new(VerdictKind.Delivered, 1, null, null, false, false);

    [Fact]
    public void SevereFirst_ThenOldestFirst()
    {
        var queue = new OutboxQueue();
        queue.Add(Entry(Note("p4-old", Severity.P4, "a", created: T0)), T0);
        queue.Add(Entry(Note("p1-new", Severity.P1, "b", created: T0.AddSeconds(5))), T0);
        queue.Add(Entry(Note("p1-old", Severity.P1, "c", created: T0.AddSeconds(1))), T0);
        queue.Add(Entry(Note("p3", Severity.P3, "d", created: T0)), T0);
        Assert.Equal(["p1-old", "p1-new", "p3", "p4-old"], Take(queue, T0.AddSeconds(10)));
    }

    [Fact]
    public void AnEntryIsHeldOnce_HoweverOftenItIsAdded()
    {
        var queue = new OutboxQueue();
        queue.Add(Entry(Note("a")), T0);
        queue.Add(Entry(Note("a")), T0);
        Assert.Equal(1, queue.Count);
        Assert.Equal(["a"], Take(queue, T0));
    }

    [Fact]
    public void AGroupsLaterMessage_WaitsUntilTheEarlierIsDone()
    {
        var queue = new OutboxQueue();
        var trigger = Entry(Note("trigger", group: "g", created: T0));
        queue.Add(trigger, T0);
        Assert.Equal(["trigger"], Take(queue, T0));
        queue.Add(Entry(Note("resolve", group: "g", created: T0.AddSeconds(1))), T0.AddSeconds(1));
        queue.Add(Entry(Note("other", group: "h", created: T0.AddSeconds(1))), T0.AddSeconds(1));
        Assert.Equal(["other"], Take(queue, T0.AddSeconds(2)));

        queue.Complete(trigger, Delivered, "202");
        Assert.Equal(["resolve"], Take(queue, T0.AddSeconds(3)));
    }

    [Fact]
    public void AGroupsLaterMessage_WaitsWhileTheEarlierIsRetrying()
    {
        var queue = new OutboxQueue();
        var trigger = Entry(Note("trigger", group: "g"));
        queue.Add(trigger, T0);
        Take(queue, T0);
        queue.Add(Entry(Note("resolve", group: "g", created: T0.AddSeconds(1))), T0.AddSeconds(1));
        queue.Complete(trigger, new Verdict(VerdictKind.Retry, 1, T0.AddSeconds(10), null, false, false), "503");
        Assert.Empty(Take(queue, T0.AddSeconds(5)));
        Assert.Equal(["trigger"], Take(queue, T0.AddSeconds(10)));
        queue.Complete(trigger with { Attempts = 1 }, Delivered, "202");
        Assert.Equal(["resolve"], Take(queue, T0.AddSeconds(11)));
    }

    [Fact]
    public void Concurrency_BoundsWhatIsInFlight()
    {
        var queue = new OutboxQueue();
        var entries = Enumerable.Range(0, 5).Select(i => Entry(Note($"n{i}", group: $"g{i}"))).ToList();
        entries.ForEach(e => queue.Add(e, T0));
        var limits = new ReceiverLimits(TimeSpan.Zero, 2);
        Assert.Equal(["n0", "n1"], Take(queue, T0, limits));
        Assert.Empty(Take(queue, T0, limits));
        queue.Complete(entries[0], Delivered, "ok");
        Assert.Equal(["n2"], Take(queue, T0, limits));
    }

    [Fact]
    public void MinInterval_SpacesTheMessages_AndSaysWhenTheNextIsDue()
    {
        var queue = new OutboxQueue();
        queue.Add(Entry(Note("a", group: "a")), T0);
        queue.Add(Entry(Note("b", group: "b", created: T0.AddMilliseconds(1))), T0);
        var slack = new ReceiverLimits(TimeSpan.FromSeconds(1), 10);
        Assert.Equal(["a"], Take(queue, T0, slack));
        var (send, _) = queue.TakeDue(T0.AddMilliseconds(400), _ => slack, out var next);
        Assert.Empty(send);
        Assert.Equal(TimeSpan.FromMilliseconds(600), next);
        Assert.Equal(["b"], Take(queue, T0.AddSeconds(1), slack));
    }

    /// <summary>PagerDuty's 120 events a minute: a burst goes at once, the 121st waits until the first leaves the minute.</summary>
    [Fact]
    public void Budget_LetsABurstGo_ThenWaitsForTheWindow_AndSaysWhen()
    {
        var queue = new OutboxQueue();
        for (int i = 0; i < 4; i++)
        {
            queue.Add(Entry(Note($"n{i}", group: $"g{i}", created: T0.AddMilliseconds(i - 10))), T0);
        }

        var pagerDuty = new ReceiverLimits(TimeSpan.Zero, 10, (3, TimeSpan.FromMinutes(1)));
        Assert.Equal(["n0", "n1", "n2"], Take(queue, T0, pagerDuty));
        Assert.Empty(Take(queue, T0.AddSeconds(20), pagerDuty));
        var (send, _) = queue.TakeDue(T0.AddSeconds(59.5), _ => pagerDuty, out var next);
        Assert.Empty(send);
        Assert.Equal(TimeSpan.FromMilliseconds(500), next);
        Assert.Equal(["n3"], Take(queue, T0.AddMinutes(1), pagerDuty));
    }

    [Fact]
    public void RetryAfter_HoldsTheWholeReceiver()
    {
        var queue = new OutboxQueue();
        var limited = Entry(Note("limited", group: "a"));
        queue.Add(limited, T0);
        Take(queue, T0);
        queue.Add(Entry(Note("other", group: "b", created: T0.AddSeconds(1))), T0.AddSeconds(1));
        queue.Complete(limited, new Verdict(VerdictKind.Retry, 1, T0.AddSeconds(30), T0.AddSeconds(30), false, false), "429");
        Assert.Empty(Take(queue, T0.AddSeconds(29)));
        Assert.Equal(["limited", "other"], Take(queue, T0.AddSeconds(30)));
    }

    [Fact]
    public void AReceiverNoLongerConfigured_GivesUpItsEntriesAsOrphans()
    {
        var queue = new OutboxQueue();
        queue.Add(Entry(Note("a", receiver: "gone")), T0);
        queue.Add(Entry(Note("b", receiver: "hook")), T0);
        var (send, orphans) = queue.TakeDue(T0, name => name == "hook" ? Open : null, out _);
        Assert.Equal(["b"], send.Select(e => e.Notification.Id));
        Assert.Equal(["a"], orphans.Select(e => e.Notification.Id));
    }

    [Fact]
    public void AnAbandonedSend_KeepsItsGroupClaimed_AndIsNotSentAgainFromMemory()
    {
        var queue = new OutboxQueue();
        var entry = Entry(Note("a", group: "g"));
        queue.Add(entry, T0);
        Take(queue, T0);
        queue.Abandon(entry);
        queue.Add(Entry(Note("b", group: "g", created: T0.AddSeconds(1))), T0);
        Assert.Empty(Take(queue, T0.AddMinutes(1)));
    }

    [Fact]
    public void AnEntryDueLater_WaitsForItsAttempt()
    {
        var queue = new OutboxQueue();
        queue.Add(Entry(Note("a"), attempts: 2, next: T0.AddMinutes(1)), T0);
        var (send, _) = queue.TakeDue(T0, _ => Open, out var next);
        Assert.Empty(send);
        Assert.Equal(TimeSpan.FromSeconds(1), next); // never sleeps longer than a second
        Assert.Equal(["a"], Take(queue, T0.AddMinutes(1)));
    }

    [Fact]
    public void Clear_ForgetsEverything()
    {
        var queue = new OutboxQueue();
        queue.Add(Entry(Note("a")), T0);
        queue.Clear();
        Assert.Equal(0, queue.Count);
        Assert.Empty(Take(queue, T0));
    }
}
