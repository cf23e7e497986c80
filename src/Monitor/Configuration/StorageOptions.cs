namespace Monitor.Configuration;

/// <summary>Where durable alert state lives: exactly one of SQLite (default) or PostgreSQL.</summary>
internal sealed record StorageOptions
{
    /// <summary>SQLite database file, relative to the working directory. <value>Default <c>data/monitor.db</c>.</value></summary>
    public string? Sqlite { get; init; } = "data/monitor.db";

    /// <summary>PostgreSQL connection string for a store shared by several replicas. <value>Default unset.</value></summary>
    public Secret? Postgres { get; init; }
}
