using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Scheduling;
using Monitor.Tests.TestSupport;
using Monitor.Checks.Tcp;

namespace Monitor.Tests.Scheduling;

public class CheckSchedulerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    private sealed class FakeCheck(CheckOptions options, FakeTimeProvider time, Func<CancellationToken, Task<CheckResult>> behaviour) : ICheck
    {
        public List<DateTimeOffset> Starts { get; } = [];

        public bool Disposed { get; private set; }

        public CheckOptions Options { get; } = options;

        public Task<CheckResult> RunAsync(CancellationToken cancellationToken)
        {
            lock (Starts)
            {
                Starts.Add(time.GetUtcNow());
            }

            return behaviour(cancellationToken);
        }

        public void Dispose() => Disposed = true;
    }

    private sealed class Harness : ICheckFactory
    {
        public Harness()
        {
            Scheduler = new CheckScheduler(Store, this, new SelfMetrics(Store), Time, NullLogger<CheckScheduler>.Instance);
        }

        public FakeTimeProvider Time { get; } = new(Start);

        public SeriesStore Store { get; } = new();

        public CheckScheduler Scheduler { get; }

        public Dictionary<string, FakeCheck> Checks { get; } = [];

        public Dictionary<string, Func<CancellationToken, Task<CheckResult>>> Behaviours { get; } = [];

        public ICheck Create(CheckOptions options, SeriesScope scope, IDiscoveredChecks discovered)
        {
            var behaviour = Behaviours.GetValueOrDefault(options.Name, _ => Task.FromResult(CheckResult.Ok));
            var check = new FakeCheck(options, Time, behaviour);
            Checks[options.Name] = check;
            return check;
        }

        /// <summary>Moves the clock in small steps, dispatching what falls due, as the loop would.</summary>
        public async Task RunForAsync(TimeSpan span, TimeSpan? step = null)
        {
            var end = Time.GetUtcNow() + span;
            var by = step ?? TimeSpan.FromMilliseconds(250);
            while (Time.GetUtcNow() < end)
            {
                Scheduler.Tick(Time.GetUtcNow(), CancellationToken.None);
                await Settle();
                Time.Advance(by);
                await Settle();
            }
        }

        private static async Task Settle()
        {
            // Runs continue on the thread pool; let its queue drain so they reach their next await.
            for (int i = 0; i < 200; i++)
            {
                await Task.Yield();
                await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System);
                if (i >= 1 && ThreadPool.PendingWorkItemCount == 0)
                {
                    return;
                }
            }
        }
    }

    private static CheckOptions Check(string name, int intervalSeconds = 10, double timeoutSeconds = 5, string fingerprint = "x") => new()
    {
        Name = name,
        Kind = TcpCheck.Kind,
        Settings = new TcpCheckOptions { Address = "h:1", Host = "h", Port = 1 },
        Interval = TimeSpan.FromSeconds(intervalSeconds),
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        Fingerprint = fingerprint,
    };

    private static MonitorOptions Config(params CheckOptions[] checks) => new() { SourceFile = "t.yaml", Checks = checks };

    [Theory]
    [InlineData(3, 10)] // a run due 3 ms after the tick waits for the quantum and starts with the others due by then
    [InlineData(0, 10)] // one already due as the tick ends, too: at most one tick per quantum
    [InlineData(10, 10)]
    [InlineData(250, 250)] // a sparse schedule is not delayed at all
    public void WakeAt_NextRunWithinTheQuantum_TicksOnceAtTheQuantum(int dueInMs, int wakeInMs)
    {
        var tick = Start;
        Assert.Equal(TimeSpan.FromMilliseconds(10), CheckScheduler.DispatchQuantum);
        Assert.Equal(tick.AddMilliseconds(wakeInMs), CheckScheduler.WakeAt(tick, tick.AddMilliseconds(dueInMs)));
        Assert.Equal(tick.AddHours(1), CheckScheduler.WakeAt(tick, null));
    }

    [Fact]
    public void Offsets_SameInterval_AreSpreadEvenly()
    {
        var checks = Enumerable.Range(0, 10).Select(i => ($"c{i}", TimeSpan.FromSeconds(10))).Append(("slow", TimeSpan.FromMinutes(1)));
        var offsets = SchedulePlanner.Offsets(checks);
        var tenSecond = offsets.Where(o => o.Key != "slow").Select(o => o.Value.TotalSeconds).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), tenSecond);
        Assert.Equal(TimeSpan.Zero, offsets["slow"]);
    }

    [Fact]
    public void Offsets_AreStableAcrossCalls()
    {
        var checks = Enumerable.Range(0, 50).Select(i => ($"check-{i}", TimeSpan.FromSeconds(30))).ToList();
        Assert.Equal(SchedulePlanner.Offsets(checks), SchedulePlanner.Offsets(Enumerable.Reverse(checks)));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 0, 10)]
    [InlineData(10, 3, 13)]
    [InlineData(14, 3, 23)]
    public void NextDue_IsEpochAligned(int afterSeconds, int offsetSeconds, int expectedSeconds)
    {
        var next = SchedulePlanner.NextDue(Start.AddSeconds(afterSeconds), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(offsetSeconds));
        Assert.Equal(Start.AddSeconds(expectedSeconds), next);
    }

    [Fact]
    public async Task Tick_RunsEachCheckOncePerInterval_AtItsOwnOffset()
    {
        var h = new Harness();
        h.Scheduler.Apply(Config(Check("a"), Check("b"), Check("c"), Check("d"), Check("e")));
        await h.RunForAsync(TimeSpan.FromSeconds(30));

        var firstStarts = h.Checks.Values.Select(c => c.Starts[0]).ToList();
        Assert.Equal(5, firstStarts.Distinct().Count()); // never together
        Assert.Equal([0.0, 2, 4, 6, 8], firstStarts.Select(s => (s - Start).TotalSeconds).Order());
        foreach (var check in h.Checks.Values)
        {
            Assert.Equal(3, check.Starts.Count);
            Assert.Equal(TimeSpan.FromSeconds(10), check.Starts[1] - check.Starts[0]);
            Assert.Equal(TimeSpan.FromSeconds(10), check.Starts[2] - check.Starts[1]);
        }

        Assert.Equal(15, h.Scheduler.Checks.Sum(c => c.Status.Runs));
        Assert.Contains("monitor_check_runs_total{check=\"a\",result=\"success\"} 3", Exposition.Text(h.Store));
    }

    [Fact]
    public async Task Run_HangingCheckThatIgnoresCancellation_IsAbandonedAtTimeout_AndDelaysNoOther()
    {
        var h = new Harness();
        var never = new TaskCompletionSource<CheckResult>();
        h.Behaviours["hang"] = _ => never.Task; // ignores its token entirely
        h.Scheduler.Apply(Config(Check("hang", timeoutSeconds: 2), Check("ok")));
        await h.RunForAsync(TimeSpan.FromSeconds(20));

        var hang = h.Scheduler.Checks.Single(c => c.Options.Name == "hang").Status;
        Assert.Equal(FailureReasons.Timeout, hang.Reason);
        Assert.Equal(2, hang.Failures);
        Assert.Equal(0, hang.Skipped);
        Assert.Equal(2, h.Checks["ok"].Starts.Count);
        Assert.True(h.Scheduler.Checks.Single(c => c.Options.Name == "ok").Status.Success);
        Assert.Contains("monitor_check_failure_info{check=\"hang\",reason=\"timeout\"} 1", Exposition.Text(h.Store));
    }

    [Fact]
    public async Task Run_CheckHonouringCancellation_IsCancelledAtItsTimeout()
    {
        var h = new Harness();
        TimeSpan? cancelledAfter = null;
        h.Behaviours["slow"] = async ct =>
        {
            var started = h.Time.GetUtcNow();
            var gate = new TaskCompletionSource();
            using (ct.Register(() => gate.TrySetResult()))
            {
                await gate.Task;
            }

            cancelledAfter = h.Time.GetUtcNow() - started;
            return CheckResult.Fail(FailureReasons.Timeout, "timed out");
        };
        h.Scheduler.Apply(Config(Check("slow", timeoutSeconds: 3)));
        await h.RunForAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(3), cancelledAfter);
    }

    [Fact]
    public async Task Run_PreviousRunStillGoing_IsSkippedNotOverlapped()
    {
        var h = new Harness();
        var never = new TaskCompletionSource<CheckResult>();
        h.Behaviours["hang"] = _ => never.Task;
        h.Scheduler.Apply(Config(Check("hang", intervalSeconds: 2, timeoutSeconds: 2)));
        await h.RunForAsync(TimeSpan.FromSeconds(2.5));
        var status = h.Scheduler.Checks[0].Status;
        Assert.Equal(1, status.Skipped);
        Assert.Single(h.Checks["hang"].Starts);
    }

    [Fact]
    public void Complete_FailedParts_OneFailureInfoPerPart()
    {
        var store = new SeriesStore();
        var scope = new SeriesScope(store, "k", new Dictionary<string, string>());
        var entry = new ScheduledCheck(new FakeCheck(Check("k"), new FakeTimeProvider(Start), _ => Task.FromResult(CheckResult.Ok)), scope, new SelfMetrics(store).CheckDuration("tcp"));
        var twoParts = CheckResult.FromParts([new PartFailure("services", "auth", "403"), new PartFailure("persistentvolumeclaims", "status", "404")], partsTried: 10);
        entry.Complete(twoParts, Start, TimeSpan.Zero);
        string text = Exposition.Text(store);
        Assert.Contains("monitor_check_failure_info{check=\"k\",part=\"services\",reason=\"auth\"} 1", text);
        Assert.Contains("monitor_check_failure_info{check=\"k\",part=\"persistentvolumeclaims\",reason=\"status\"} 1", text);
        Assert.Equal(2, entry.Status.Parts.Count);

        // One part recovers: its series goes, the other stays; a whole-check failure has the one series without part.
        entry.Complete(CheckResult.FromParts([new PartFailure("services", "auth", "403")], partsTried: 10), Start, TimeSpan.Zero);
        text = Exposition.Text(store);
        Assert.Contains("part=\"services\"", text);
        Assert.DoesNotContain("part=\"persistentvolumeclaims\"", text);
        entry.Complete(CheckResult.Fail("timeout", "t"), Start, TimeSpan.Zero);
        text = Exposition.Text(store);
        Assert.Contains("monitor_check_failure_info{check=\"k\",reason=\"timeout\"} 1", text);
        Assert.DoesNotContain("part=", text);
        entry.Complete(CheckResult.Ok, Start, TimeSpan.Zero);
        Assert.DoesNotContain("monitor_check_failure_info", Exposition.Text(store));
    }

    /// <summary>
    /// A configured pattern that needs the backtracking engine (a lookahead) meets input that makes it run out of
    /// time inside any kind of check: that run fails as regex_timeout naming the pattern, not as an internal error.
    /// </summary>
    [Fact]
    public async Task Run_RegexTimeoutInAnyCheck_IsARegexTimeoutFailure()
    {
        var h = new Harness();
        var evil = Monitor.Configuration.SafeRegex.Anchored("(?=x)(x+x+)+y");
        string input = new('x', 5000);
        h.Behaviours["disk"] = _ => Task.FromResult(evil.IsMatch(input) ? CheckResult.Ok : CheckResult.Ok);
        h.Scheduler.Apply(Config(Check("disk", intervalSeconds: 10, timeoutSeconds: 5)));
        await h.RunForAsync(TimeSpan.FromMilliseconds(50));
        var status = h.Scheduler.Checks.Single(c => c.Options.Name == "disk").Status;
        Assert.Equal(FailureReasons.RegexTimeout, status.Reason);
        Assert.Contains("(?=x)(x+x+)+y", status.Error);
        Assert.Contains("monitor_check_failure_info{check=\"disk\",reason=\"regex_timeout\"} 1", Exposition.Text(h.Store));
    }

    [Fact]
    public async Task Run_FailureInfo_FollowsTheReasonAndDisappearsOnRecovery()
    {
        var h = new Harness();
        var results = new Queue<CheckResult>([CheckResult.Fail("status", "500"), CheckResult.Fail("timeout", "t"), CheckResult.Ok]);
        h.Behaviours["a"] = _ => Task.FromResult(results.Dequeue());
        h.Scheduler.Apply(Config(Check("a", intervalSeconds: 1, timeoutSeconds: 1)));
        await h.RunForAsync(TimeSpan.FromMilliseconds(50));
        Assert.Contains("monitor_check_failure_info{check=\"a\",reason=\"status\"} 1", Exposition.Text(h.Store));
        await h.RunForAsync(TimeSpan.FromSeconds(1));
        string text = Exposition.Text(h.Store);
        Assert.Contains("monitor_check_failure_info{check=\"a\",reason=\"timeout\"} 1", text);
        Assert.DoesNotContain("reason=\"status\"", text);
        await h.RunForAsync(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain("monitor_check_failure_info", Exposition.Text(h.Store));
    }

    [Fact]
    public async Task Apply_Reload_KeepsUnchangedChecks_RebuildsChanged_RemovesDeletedSeries()
    {
        var h = new Harness();
        h.Scheduler.Apply(Config(Check("keep"), Check("change"), Check("drop")));
        await h.RunForAsync(TimeSpan.FromSeconds(10));
        var kept = h.Scheduler.Checks.Single(c => c.Options.Name == "keep");
        var oldChange = h.Checks["change"];
        var drop = h.Checks["drop"];

        h.Scheduler.Apply(Config(Check("keep"), Check("change", fingerprint: "y"), Check("new")));
        Assert.Same(kept, h.Scheduler.Checks.Single(c => c.Options.Name == "keep"));
        Assert.True(oldChange.Disposed);
        Assert.True(drop.Disposed);
        Assert.NotSame(oldChange, h.Checks["change"]);
        string text = Exposition.Text(h.Store);
        Assert.DoesNotContain("check=\"drop\"", text);
        Assert.Contains("monitor_check_runs_total{check=\"change\",result=\"success\"} 1", text); // same kind and labels: series kept

        await h.RunForAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, kept.Status.Runs);
        Assert.Single(h.Checks["new"].Starts);
    }

    [Fact]
    public void Apply_Shard_RunsOnlyOwnedChecks()
    {
        var h = new Harness();
        var checks = Enumerable.Range(0, 30).Select(i => Check($"c{i}")).ToArray();
        int total = 0;
        for (int shard = 0; shard < 3; shard++)
        {
            h.Scheduler.Apply(Config(checks) with { Shard = new ShardOptions(shard, 3) });
            total += h.Scheduler.Checks.Count;
            Assert.InRange(h.Scheduler.Checks.Count, 1, 29);
        }

        Assert.Equal(30, total);
    }

    [Fact]
    public void SetDiscovered_AddsAndRemovesChecksBesideTheConfiguredOnes()
    {
        var h = new Harness();
        var config = Config(Check("cluster"), Check("web"));
        h.Scheduler.Apply(config);
        h.Scheduler.SetDiscovered("cluster", [Check("cluster/ml/pod/a"), Check("cluster/ml/pod/b")]);
        Assert.Equal(["cluster", "cluster/ml/pod/a", "cluster/ml/pod/b", "web"], h.Scheduler.Checks.Select(c => c.Options.Name));

        h.Scheduler.SetDiscovered("cluster", [Check("cluster/ml/pod/b")]);
        Assert.Equal(["cluster", "cluster/ml/pod/b", "web"], h.Scheduler.Checks.Select(c => c.Options.Name));
        Assert.True(h.Checks["cluster/ml/pod/a"].Disposed);

        // A reload keeps discoveries of a source still configured, and drops those of one that is gone.
        h.Scheduler.Apply(config);
        Assert.Contains(h.Scheduler.Checks, c => c.Options.Name == "cluster/ml/pod/b");
        h.Scheduler.Apply(Config(Check("web")));
        Assert.Equal(["web"], h.Scheduler.Checks.Select(c => c.Options.Name));
    }

    [Fact]
    public async Task Tick_AfterAPause_SkipsMissedSlotsInsteadOfCatchingUp()
    {
        var h = new Harness();
        h.Scheduler.Apply(Config(Check("a")));
        await h.RunForAsync(TimeSpan.FromSeconds(1));
        h.Time.Advance(TimeSpan.FromSeconds(35)); // the process was stopped for a while
        await h.RunForAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(2, h.Checks["a"].Starts.Count);
        Assert.Equal(Start.AddSeconds(40), h.Scheduler.Checks[0].NextDue);
    }
}
