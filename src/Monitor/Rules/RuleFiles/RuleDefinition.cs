using Monitor.Rules.PromQL;

namespace Monitor.Rules.RuleFiles;

/// <summary>One alerting (<see cref="Alert"/> set) or recording (<see cref="Record"/> set) rule.</summary>
internal sealed record RuleDefinition
{
    public string? Alert { get; init; }

    public string? Record { get; init; }

    public required string ExprText { get; init; }

    public required Expr Expr { get; init; }

    public TimeSpan For { get; init; }

    public TimeSpan KeepFiringFor { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The queries its templates run, where written as literals; the history plan keeps what they read.</summary>
    public IReadOnlyList<Expr> TemplateQueries { get; init; } = [];

    /// <summary>Whether a template runs a query it builds (printf ... | query): its selectors are unknown until then.</summary>
    public bool ComputedTemplateQuery { get; init; }

    /// <summary>The metric names its expression selects, each where it is written, for check-config's coverage warning.</summary>
    public IReadOnlyList<SelectorUse> Selectors { get; init; } = [];

    public string Name => Alert ?? Record ?? string.Empty;
}

/// <summary>A metric name a rule's expression selects, at <c>FILE:LINE:COL</c> of the selector; <paramref name="Field"/> is the rule's <c>expr</c> path.</summary>
internal sealed record SelectorUse(string Metric, string File, long Line, long Column, string Field);
