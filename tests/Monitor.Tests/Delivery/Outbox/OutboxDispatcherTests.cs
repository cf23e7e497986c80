using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitor.Alerting;
using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.Delivery.Outbox;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;
using static Monitor.Tests.Delivery.Outbox.OutboxPolicyTests;

namespace Monitor.Tests.Delivery.Outbox;

/// <summary>
/// The dispatcher only sends and records: a provider's transport failure is retried, a fault of Monitor's own is
/// not mistaken for one (it is recorded as refused, not retried every backoff forever).
/// </summary>
public sealed class OutboxDispatcherTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private sealed class Alerting(IAlertStore store) : IAlertingOutbox
    {
        public event Action<IReadOnlyList<Notification>>? Committed;

        public event Action<IReadOnlyDictionary<string, List<AlertSnapshot>>>? LeadershipAcquired;

        public event Action? LeadershipLost;

        public bool IsLeader => MaySend;

        /// <summary>Whether the lease is held and has not run out; a test sets it false to play a paused leader waking.</summary>
        public bool MaySend { get; set; } = true;

        public IAlertStore? Store => store;

        public string NewNotificationId() => GuidIds.Instance.NewId();

        public void Lose()
        {
            MaySend = false;
            LeadershipLost?.Invoke();
        }

        public void Commit(IReadOnlyList<Notification> notes) => Committed?.Invoke(notes);

        public void Lead() => LeadershipAcquired?.Invoke(new Dictionary<string, List<AlertSnapshot>>());
    }

    private sealed record NoSettings : IReceiverSettings;

    private sealed class ThrowingNotifier(Exception exception) : INotifier
    {
        public TimeSpan MinInterval => TimeSpan.Zero;

        public int Concurrency => 1;

        public Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken) => Task.FromException<DeliveryResult>(exception);
    }

    private static async Task<(string Id, int Attempts, DateTimeOffset? NextAttempt, string Error)> FirstAttemptAsync(Exception thrown)
    {
        var store = new MemoryAlertStore();
        var alerting = new Alerting(store);
        var time = new FakeTimeProvider(T0);
        // A receiver kind of the test's own, registered like any other: its notifier throws.
        var throwing = new NotifierKind("throwing", _ => new NoSettings(), (_, _, _) => new ThrowingNotifier(thrown));
        var options = ConfigLoader.Parse("""
            receivers:
              - { name: hook, throwing: {} }
            """, "t.yaml", new ConfigSchema(CheckRegistry.Kinds, [throwing])).Options!;
        var factory = new NotifierFactory(new HttpClient(), time, [throwing]);
        using var dispatcher = new OutboxDispatcher(alerting, factory, new OutboxPolicy(() => 0.5), new SeriesStore(), time, NullLogger<OutboxDispatcher>.Instance);
        dispatcher.Apply(options);
        var marked = store.Marked.Task;
        await dispatcher.StartAsync(CancellationToken.None);
        var note = Note("n1");
        await store.SaveAsync(new StoreChanges { Notifications = { note } }, CancellationToken.None);
        alerting.Commit([note]);
        await marked.WaitAsync(TimeSpan.FromSeconds(30));
        await dispatcher.StopAsync(CancellationToken.None);
        return store.Failed.Single();
    }

    [Fact]
    public async Task TransportFailure_IsRetriedWithBackoff()
    {
        var failed = await FirstAttemptAsync(new IOException("connection reset by peer"));
        Assert.Equal(1, failed.Attempts);
        Assert.Equal(T0.AddMilliseconds(250), failed.NextAttempt);
        Assert.Equal("connection reset by peer", failed.Error);
    }

    [Fact]
    public async Task AFaultOfMonitorsOwn_IsRecordedAsRefused_NotRetriedAsANetworkError()
    {
        var failed = await FirstAttemptAsync(new InvalidOperationException("collection was modified"));
        Assert.Equal(1, failed.Attempts);
        Assert.Null(failed.NextAttempt);
        Assert.StartsWith("internal error in Monitor: InvalidOperationException: collection was modified", failed.Error, StringComparison.Ordinal);
    }

    private sealed class RecordingNotifier : INotifier
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Sent { get; } = new();

        public TimeSpan MinInterval => TimeSpan.Zero;

        public int Concurrency => 1;

        public Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken)
        {
            Sent.Enqueue(notification.Id);
            return Task.FromResult(new DeliveryResult(DeliveryOutcome.Delivered, "ok"));
        }
    }

    [Fact]
    public async Task ADeposedReplica_DropsWhatItHeld_AndOnLeadingAgainSendsOnlyWhatTheStoreStillHasPending()
    {
        var store = new MemoryAlertStore();
        var alerting = new Alerting(store);
        var time = new FakeTimeProvider(T0);
        var notifier = new RecordingNotifier();
        var recording = new NotifierKind("recording", _ => new NoSettings(), (_, _, _) => notifier);
        var options = ConfigLoader.Parse("""
            receivers:
              - { name: hook, recording: {} }
            """, "t.yaml", new ConfigSchema(CheckRegistry.Kinds, [recording])).Options!;
        using var dispatcher = new OutboxDispatcher(alerting, new NotifierFactory(new HttpClient(), time, [recording]), new OutboxPolicy(() => 0.5), new SeriesStore(), time, NullLogger<OutboxDispatcher>.Instance);
        dispatcher.Apply(options);
        await dispatcher.StartAsync(CancellationToken.None);

        // Committed just as the lease runs out by this replica's clock: it may not send it; then it learns it lost the lease.
        alerting.MaySend = false;
        var first = Note("n1");
        await store.SaveAsync(new StoreChanges { Notifications = { first } }, CancellationToken.None);
        alerting.Commit([first]);
        alerting.Lose();

        // The replica that took over delivers it.
        await store.MarkDeliveredAsync("n1", 1, T0.AddSeconds(5), CancellationToken.None);

        // This one leads again: it reads the store, where only n2 is pending.
        var second = Note("n2");
        await store.SaveAsync(new StoreChanges { Notifications = { second } }, CancellationToken.None);
        var marked = store.Marked.Task;
        alerting.MaySend = true;
        alerting.Lead();
        await marked.WaitAsync(TimeSpan.FromSeconds(30));
        await dispatcher.StopAsync(CancellationToken.None);
        Assert.Equal(["n2"], notifier.Sent);
    }
}
