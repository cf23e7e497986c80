using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Engine;
using Monitor.Rules.RuleFiles;

namespace Monitor.Tests.Hosting;

/// <summary>A fault inside a background loop is logged, counted and survived; a loop that dies makes the exit a failure.</summary>
public class BackgroundLoopTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A sink that fails every publish, and says each time it was called.</summary>
    private sealed class ThrowingSink : IAlertSink
    {
        public SemaphoreSlim Called { get; } = new(0);

        public void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at)
        {
            Called.Release();
            throw new InvalidOperationException("sink broken");
        }
    }

    [Fact]
    public async Task RuleLoop_SinkThrows_CountsTheErrorAndEvaluatesAgain()
    {
        var store = new SeriesStore();
        InternalErrors.Register(store);
        var time = new FakeTimeProvider(T0);
        var sink = new ThrowingSink();
        using var engine = new RuleEngine(store, time, sink, NullLogger<RuleEngine>.Instance);
        var (groups, errors) = RuleFileLoader.Parse("groups: [ { name: g, rules: [ { alert: Flag, expr: flag == 1 } ] } ]", "t.rules.yml");
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
        var flag = store.Gauge("flag", "F.", []);
        flag.Set(1);
        await engine.StartAsync(CancellationToken.None);

        // The first transition (the alert becomes active) reaches the sink, which throws.
        await AdvanceUntil(time, sink.Called);
        Assert.Equal(1, InternalErrors.Counter(store, "rules").Value);

        // The loop went on: the next change is evaluated and published again.
        flag.Set(0);
        await AdvanceUntil(time, sink.Called);
        Assert.Equal(2, InternalErrors.Counter(store, "rules").Value);
        Assert.False(engine.ExecuteTask!.IsCompleted);
        await engine.StopAsync(CancellationToken.None);
        Assert.Null(CommandLine.FatalFault([engine]));
    }

    [Fact]
    public async Task FatalFault_ServiceWhoseLoopDied_IsReportedSoTheExitIsAFailure()
    {
        var dead = new DyingService();
        await dead.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => dead.ExecuteTask!);
        string? fault = CommandLine.FatalFault([dead, new QuietService()]);
        Assert.Equal("DyingService failed: InvalidOperationException: loop died", fault);
        Assert.Null(CommandLine.FatalFault([new QuietService()]));
    }

    [Fact]
    public void InternalErrors_EveryComponentHasASeriesAtZero()
    {
        var store = new SeriesStore();
        _ = new SelfMetrics(store);
        var family = store.Find(InternalErrors.Name);
        Assert.NotNull(family);
        Assert.All(InternalErrors.Components, c => Assert.Equal(0, InternalErrors.Counter(store, c).Value));
    }

    /// <summary>Moves the fake clock a second at a time until the loop reports progress (the loop may not yet wait on it).</summary>
    private static async Task AdvanceUntil(FakeTimeProvider time, SemaphoreSlim signal)
    {
        int tries = 0;
        while (!await signal.WaitAsync(TimeSpan.FromMilliseconds(20)))
        {
            Assert.True(++tries < 1500, "the loop made no progress");
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    private sealed class DyingService : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("loop died");
        }
    }

    private sealed class QuietService : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }
}
