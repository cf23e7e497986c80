using System.Globalization;
using Monitor.Tests.TestSupport;
using Npgsql;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>
/// A throwaway PostgreSQL 15 (Debian's postgresql-15) on a free loopback port with pg_stat_statements
/// preloaded, a <c>monitor</c> role in <c>pg_monitor</c>, and an <c>app</c> database. initdb refuses to
/// run as root, so as root it runs as the <c>postgres</c> system user the package creates.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    public const string SuperPassword = "super-secret-1";
    public const string MonitorPassword = "monitor-pw-2";
    private const string Bin = "/usr/lib/postgresql/15/bin";

    private readonly string _dir;

    private PostgresServer(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string Dsn(string database, string user = "monitor", string password = MonitorPassword) =>
        $"postgres://{user}:{password}@127.0.0.1:{Port}/{database}?sslmode=disable";

    public NpgsqlConnection Connect(string database = "app") =>
        new($"Host=127.0.0.1;Port={Port};Username=postgres;Password={SuperPassword};Database={database};Pooling=false");

    private static bool IsRoot => Environment.UserName == "root";

    private static Task<(int ExitCode, string Output)> AsPostgres(string tool, params string[] args) =>
        IsRoot
            ? ExternalProcess.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(Bin, tool), .. args], timeout: TimeSpan.FromMinutes(2))
            : ExternalProcess.RunAsync(Path.Combine(Bin, tool), args, timeout: TimeSpan.FromMinutes(2));

    /// <summary>Starts a server on <paramref name="port"/> (a free one when not given).</summary>
    public static async Task<PostgresServer> StartAsync(int? port = null)
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new InvalidOperationException("PostgreSQL 15 not found: install the Debian package postgresql-15 (./test.sh does it)");
        }

        string dir = Path.Combine(Path.GetTempPath(), "monitor-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "pw"), SuperPassword);
        if (IsRoot)
        {
            await ExternalProcess.RunAsync("chown", ["-R", "postgres:postgres", dir]);
        }

        int listenPort = port ?? FreePort.Get();
        var (code, output) = await AsPostgres("initdb", "-D", Path.Combine(dir, "data"), "-U", "postgres", "--pwfile", Path.Combine(dir, "pw"), "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync");
        if (code != 0)
        {
            throw new InvalidOperationException($"initdb failed:\n{output}");
        }

        string options = string.Create(CultureInfo.InvariantCulture, $"-p {listenPort} -c listen_addresses=127.0.0.1 -k {dir} -c shared_preload_libraries=pg_stat_statements -c fsync=off -c deadlock_timeout=200ms");
        (code, output) = await AsPostgres("pg_ctl", "-D", Path.Combine(dir, "data"), "-o", options, "-l", Path.Combine(dir, "log"), "-w", "start");
        if (code != 0)
        {
            throw new InvalidOperationException($"pg_ctl start failed:\n{output}\n{(File.Exists(Path.Combine(dir, "log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "log")) : string.Empty)}");
        }

        var server = new PostgresServer(dir, listenPort);
        await using (var connection = server.Connect("postgres"))
        {
            await connection.OpenAsync();
            foreach (string sql in new[]
            {
                $"CREATE ROLE monitor LOGIN PASSWORD '{MonitorPassword}' IN ROLE pg_monitor",
                "CREATE DATABASE app",
                "CREATE EXTENSION pg_stat_statements",
            })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        return server;
    }

    public async Task StopAsync() => await AsPostgres("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
