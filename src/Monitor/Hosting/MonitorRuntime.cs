using Microsoft.Extensions.Logging;
using Monitor.Alerting;
using Monitor.Api;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.Delivery.Outbox;
using Monitor.Delivery.Reports;
using Monitor.Metrics;
using Monitor.Rules.Engine;
using Monitor.Rules.RuleFiles;
using Monitor.Scheduling;

namespace Monitor.Hosting;

/// <summary>
/// Owns the running configuration. A reload reads and validates the file completely before anything
/// changes; an invalid file is logged error by error and the running configuration stays in force.
/// </summary>
internal sealed class MonitorRuntime : IRuntimeControl
{
    private readonly string _configPath;
    private readonly CheckScheduler _scheduler;
    private readonly RuleEngine _rules;
    private readonly AlertPipeline _alerts;
    private readonly OutboxDispatcher _outbox;
    private readonly ReportScheduler _reports;
    private readonly SelfMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<MonitorRuntime> _logger;
    private readonly Lock _reloadLock = new();
    private MonitorOptions _current;

    public MonitorRuntime(string configPath, MonitorOptions initial, CheckScheduler scheduler, RuleEngine rules, AlertPipeline alerts, OutboxDispatcher outbox, ReportScheduler reports, SelfMetrics metrics, TimeProvider timeProvider, ILogger<MonitorRuntime> logger)
    {
        _alerts = alerts;
        _outbox = outbox;
        _reports = reports;
        _configPath = configPath;
        _current = initial;
        _scheduler = scheduler;
        _rules = rules;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
    }

    public MonitorOptions Current => Volatile.Read(ref _current);

    /// <summary>Applies the configuration the process started with and opens the alert store.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (groups, errors) = RuleEngine.Load(Current);
        if (errors.Count > 0)
        {
            // The command line validated them before starting; a file changed in between is refused here too.
            throw new InvalidOperationException($"invalid rule files: {string.Join("; ", errors)}");
        }

        _rules.Apply(Current, groups);
        _scheduler.Apply(Current);
        _alerts.Restorer = _rules.Restore;
        _rules.ChecksRanBefore = _scheduler.RanBefore;
        _scheduler.Flipped += _rules.Nudge;
        _outbox.Apply(Current);
        _reports.Apply(Current);
        await _alerts.InitializeAsync(Current, cancellationToken);
        ReleaseLoadingMemory();
        _metrics.ConfigReloaded(true, _time.GetUtcNow());
        Log.ConfigLoaded(_logger, Current.SourceFile, Current.Checks.Count, Current.Receivers.Count, Current.ResolvedRuleFiles.Count);
    }

    /// <summary>
    /// One full, compacting collection that returns freed memory to the system, after a configuration is in
    /// place. Loading one is the largest burst of short-lived allocation the process makes (the YAML tree, the
    /// old checks replaced): afterwards the runtime gives the freed regions back only a little at each
    /// collection, so the steadier the process's allocation is, the longer the load's peak stays resident
    /// (10,000 checks: ~40 MB for minutes; docs/benchmarks.md). It costs one pause of tens of milliseconds per
    /// start or reload.
    /// </summary>
    private static void ReleaseLoadingMemory() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    public ReloadOutcome Reload(string source)
    {
        try
        {
            return ReloadCore(source);
        }
        catch (Exception e)
        {
            // A reload (SIGHUP, the API) must never end the process: the fault is counted and reported as a rejection.
            _metrics.InternalError(_logger, "reload", e);
            _metrics.ConfigReloaded(false, _time.GetUtcNow());
            return new ReloadOutcome(false, [new ConfigError(_configPath, 0, 0, $"internal error while reloading: {e.GetType().Name}: {e.Message}")]);
        }
    }

    private ReloadOutcome ReloadCore(string source)
    {
        Log.ReloadRequested(_logger, source);
        lock (_reloadLock)
        {
            var result = MonitorConfig.Load(_configPath);
            var errors = new List<ConfigError>(result.Errors);
            var (groups, ruleErrors) = result.Success ? RuleEngine.Load(result.Options!) : new RuleLoad([], [], []);
            errors.AddRange(ruleErrors);
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    Log.ReloadRejected(_logger, error.ToString());
                }

                _metrics.ConfigReloaded(false, _time.GetUtcNow());
                return new ReloadOutcome(false, errors);
            }

            var options = result.Options!;
            if (options.Server.Listen != Current.Server.Listen)
            {
                Log.ListenChanged(_logger, Current.Server.Listen, options.Server.Listen);
            }

            _rules.Apply(options, groups);
            _scheduler.Apply(options);
            _alerts.Apply(options);
            _alerts.RestoreAfterReload();
            _outbox.Apply(options);
            _reports.Apply(options);
            Volatile.Write(ref _current, options);
            ReleaseLoadingMemory();
            _metrics.ConfigReloaded(true, _time.GetUtcNow());
            Log.ConfigLoaded(_logger, options.SourceFile, options.Checks.Count, options.Receivers.Count, options.ResolvedRuleFiles.Count);
            return new ReloadOutcome(true, []);
        }
    }
}
