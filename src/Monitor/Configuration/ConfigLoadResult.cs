namespace Monitor.Configuration;

/// <summary>The options when the file is valid; otherwise every error found in it.</summary>
internal sealed record ConfigLoadResult(MonitorOptions? Options, IReadOnlyList<ConfigError> Errors)
{
    public bool Success => Options is not null && Errors.Count == 0;
}
