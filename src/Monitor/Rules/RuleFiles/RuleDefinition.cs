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

    public string Name => Alert ?? Record ?? string.Empty;
}
