namespace Monitor.Configuration;

/// <summary>A scheduled summary (the runbooks' 09:00 / 18:00 checklists).</summary>
internal sealed record ReportOptions
{
    public required string Name { get; init; }

    public required CronSchedule Cron { get; init; }

    /// <summary>Time zone of the cron expression. <value>Default UTC.</value></summary>
    public required TimeZoneInfo TimeZone { get; init; }

    public required IReadOnlyList<string> Notify { get; init; }
}
