using Monitor.Configuration;

namespace Monitor.Checks.FileStat;

/// <summary>What the newest matching file's content must be.</summary>
internal enum FileExpectation
{
    None,

    /// <summary>Ends with pg_dump's completion trailer (plain text, or gzip-compressed plain text).</summary>
    PgDumpComplete,

    /// <summary>A gzip file that decompresses in full and matches its trailer.</summary>
    Gzip,
}

/// <summary>The <c>file</c> section of a check.</summary>
internal sealed record FileStatCheckOptions : ICheckSettings
{
    /// <summary>An absolute path or glob (<c>/var/backups/pg/*.sql.gz</c>).</summary>
    public required FileGlob Path { get; init; }

    /// <summary>Content check of the newest match. <value>Default none.</value></summary>
    public FileExpectation Expect { get; init; }

    public string Target => Path.Pattern;

    public static FileStatCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var ctx = map.Context;
        string? path = map.String("path", required: true);
        string? expect = map.String("expect");
        map.Finish();
        var expectation = FileExpectation.None;
        switch (expect)
        {
            case null:
                break;
            case "pg_dump_complete":
                expectation = FileExpectation.PgDumpComplete;
                break;
            case "gzip":
                expectation = FileExpectation.Gzip;
                break;
            default:
                ctx.Error(map.Get("expect")!.Start, $"{map.Field("expect")}: unknown expectation \"{expect}\" (one of pg_dump_complete, gzip)");
                return null;
        }

        if (path is null)
        {
            return null;
        }

        var glob = FileGlob.Parse(path, out string? error);
        if (glob is null)
        {
            ctx.Error(map.Get("path")!.Start, $"{map.Field("path")}: \"{path}\" {error}");
            return null;
        }

        return new FileStatCheckOptions { Path = glob, Expect = expectation };
    }
}
