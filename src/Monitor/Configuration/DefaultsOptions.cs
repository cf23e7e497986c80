namespace Monitor.Configuration;

internal sealed record DefaultsOptions
{
    /// <summary>How often a check runs unless it says otherwise. <value>Default 30s.</value></summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one run may take unless the check says otherwise; capped at the interval. <value>Default 10s.</value></summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most check runs in flight at once. <value>Default 2048.</value></summary>
    public int MaxConcurrency { get; init; } = 2048;
}
