namespace Monitor.Configuration;

/// <summary>The whole of <c>monitor.yaml</c> (docs/configuration.md), validated.</summary>
internal sealed record MonitorOptions
{
    /// <summary>Path of the file this was read from.</summary>
    public required string SourceFile { get; init; }

    public ServerOptions Server { get; init; } = new();

    public StorageOptions Storage { get; init; } = new();

    public DefaultsOptions Defaults { get; init; } = new();

    public IReadOnlyList<CheckOptions> Checks { get; init; } = [];

    /// <summary>Rule file globs, relative to the config file's directory.</summary>
    public IReadOnlyList<string> RuleFiles { get; init; } = [];

    /// <summary>Rule files the globs matched, resolved to absolute paths.</summary>
    public IReadOnlyList<string> ResolvedRuleFiles { get; init; } = [];

    /// <summary>How often rules are evaluated. <value>Default 15s.</value></summary>
    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Labels added to alerts sent out (Prometheus' <c>external_labels</c>). <value>Default none.</value></summary>
    public IReadOnlyDictionary<string, string> ExternalLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>The severity levels, most urgent first. <value>Default P1–P4.</value></summary>
    public SeverityLevels Levels { get; init; } = SeverityLevels.BuiltIn;

    public IReadOnlyDictionary<Severity, SeverityPolicy> Severities { get; init; } = SeverityPolicy.Defaults([]);

    public IReadOnlyDictionary<Severity, IReadOnlyList<EscalationStep>> Escalation { get; init; } = new Dictionary<Severity, IReadOnlyList<EscalationStep>>();

    /// <summary>Named time intervals (Alertmanager's <c>time_intervals</c>) routes refer to.</summary>
    public IReadOnlyDictionary<string, TimeIntervalSet> TimeIntervals { get; init; } = new Dictionary<string, TimeIntervalSet>();

    public RoutingOptions Routing { get; init; } = new();

    public IReadOnlyList<InhibitRule> Inhibit { get; init; } = [];

    public IReadOnlyList<SilenceWindow> Silences { get; init; } = [];

    public IReadOnlyList<ReceiverOptions> Receivers { get; init; } = [];

    public IReadOnlyList<ReportOptions> Reports { get; init; } = [];

    /// <summary>This replica's shard of the checks, <c>i/n</c> with 0 ≤ i &lt; n. <value>Default: all checks.</value></summary>
    public ShardOptions? Shard { get; init; }
}
