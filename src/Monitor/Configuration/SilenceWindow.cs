namespace Monitor.Configuration;

/// <summary>A recurring maintenance window: from each cron occurrence, for <see cref="Duration"/>.</summary>
internal sealed record SilenceWindow
{
    public required string Name { get; init; }

    public required CronSchedule Cron { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>Time zone of the cron expression. <value>Default UTC.</value></summary>
    public required TimeZoneInfo TimeZone { get; init; }

    public required IReadOnlyDictionary<string, string> Matchers { get; init; }

    public string? Comment { get; init; }
}
