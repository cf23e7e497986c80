using Monitor.Configuration;

namespace Monitor.Checks.Postgres;

/// <summary>The <c>postgres</c> section of a check.</summary>
internal sealed record PostgresCheckOptions : ICheckSettings
{
    /// <summary>URL (<c>postgres://user:pw@host:5432/db</c>) or key=value connection string.</summary>
    public required Secret Dsn { get; init; }

    /// <summary>Collect pg_stat_statements. <value>Default false.</value></summary>
    public bool Statements { get; init; }

    /// <summary>Databases whose per-database series are published. <value>Default: all databases.</value></summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    public string Target => "postgres";

    public static PostgresCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var dsn = map.Secret("dsn", required: true);
        if (dsn is not null)
        {
            try
            {
                _ = PostgresDsn.Parse(dsn.Reveal());
            }
            catch (ArgumentException e)
            {
                map.Context.Error(map.Get("dsn")!.Start, $"{map.Field("dsn")}: {PostgresDsn.Problem(e)}");
            }
        }

        bool statements = map.Bool("statements") ?? false;
        var databases = map.Strings("databases") ?? [];
        map.Finish();
        return dsn is null ? null : new PostgresCheckOptions { Dsn = dsn, Statements = statements, Databases = databases };
    }
}
