using Microsoft.Extensions.Time.Testing;
using Monitor.Alerting;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Alerting;

/// <summary>The lease as one replica sees it, on a fake monotonic clock and a store that plays the shared lease.</summary>
public class AlertingLeaseTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task HoldsNow_EndsBeforeTheLeaseDoes_ByTheReplicasOwnClock_EvenWithoutAStoreRoundTrip()
    {
        var time = new FakeTimeProvider(T0);
        var store = new MemoryAlertStore { Kind = "postgres", Lease = () => 7 };
        var lease = new AlertingLease("a") { Time = time };
        Assert.Equal(LeaseChange.Acquired, await lease.CheckAsync(store, time.GetUtcNow(), CancellationToken.None));
        Assert.Equal((true, 7L), (lease.HoldsNow, lease.FencingToken));
        Assert.Equal(new LeaseFence("a", 7), store.Fence);

        // Paused (SIGSTOP) past the lease: on waking it may not send, though nothing has told it yet.
        time.Advance(AlertingLease.Ttl - AlertingLease.SafetyMargin - TimeSpan.FromMilliseconds(1));
        Assert.True(lease.HoldsNow);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(lease.HoldsNow);
        Assert.True(lease.IsLeader); // the role changes at the next check; sending stopped already

        // Renewed: valid again from the renewal's request.
        Assert.Equal(LeaseChange.Unchanged, await lease.CheckAsync(store, time.GetUtcNow(), CancellationToken.None));
        Assert.True(lease.HoldsNow);
    }

    [Fact]
    public async Task ANewToken_WhileHeldBeforeAndAfter_IsAReacquisition_AndAFencedWriteGivesTheRoleUp()
    {
        var time = new FakeTimeProvider(T0);
        long? token = 1;
        var store = new MemoryAlertStore { Kind = "postgres", Lease = () => token };
        var lease = new AlertingLease("a") { Time = time };
        Assert.Equal(LeaseChange.Acquired, await lease.CheckAsync(store, time.GetUtcNow(), CancellationToken.None));

        // Another replica led while this one was paused, then this one took the lease again.
        token = 3;
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(LeaseChange.Reacquired, await lease.CheckAsync(store, time.GetUtcNow(), CancellationToken.None));
        Assert.Equal(new LeaseFence("a", 3), store.Fence);

        lease.Invalidate();
        Assert.False(lease.HoldsNow);
        token = null;
        Assert.Equal(LeaseChange.Unchanged, await lease.CheckAsync(store, time.GetUtcNow(), CancellationToken.None));
        Assert.False(lease.IsLeader);
    }

    [Fact]
    public async Task EmbeddedStore_AlwaysHolds_Unfenced()
    {
        var time = new FakeTimeProvider(T0);
        var store = new MemoryAlertStore();
        var lease = new AlertingLease("a") { Time = time };
        Assert.Equal(LeaseChange.Acquired, await lease.CheckAsync(store, time.GetUtcNow(), CancellationToken.None));
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(lease.HoldsNow);
        Assert.Null(store.Fence);
    }
}
