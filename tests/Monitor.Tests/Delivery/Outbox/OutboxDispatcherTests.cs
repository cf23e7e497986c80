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
        Assert.Equal(T0.AddSeconds(1), failed.NextAttempt);
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
}
