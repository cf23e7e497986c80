namespace Monitor.Configuration;

internal sealed record PostgresCheckOptions
{
    /// <summary>URL (<c>postgres://user:pw@host:5432/db</c>) or key=value connection string.</summary>
    public required Secret Dsn { get; init; }

    /// <summary>Collect pg_stat_statements. <value>Default false.</value></summary>
    public bool Statements { get; init; }

    /// <summary>Databases to read per-database views from. <value>Default: the DSN's database.</value></summary>
    public IReadOnlyList<string> Databases { get; init; } = [];
}
