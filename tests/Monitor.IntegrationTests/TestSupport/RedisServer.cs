using System.Globalization;
using Monitor.Checks.Redis;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>
/// A throwaway Debian redis-server on a free loopback port in a temporary directory, no persistence to the
/// real disk, with a password for the default user and an ACL user <c>monitor</c> allowed only INFO,
/// CONFIG GET and PING (what the check needs).
/// </summary>
internal sealed class RedisServer : IDisposable
{
    public const string Password = "redis-pw-1";
    public const string MonitorUser = "monitor";
    public const string MonitorPassword = "monitor-pw-2";

    private readonly ExternalProcess _process;
    private readonly string _dir;

    private RedisServer(ExternalProcess process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public string Output => _process.Output;

    public static async Task<RedisServer> StartAsync(RedisServer? primary = null)
    {
        string exe = Tools.Require("redis-server", "redis-server");
        string dir = Tools.TempDirectory();
        int port = FreePort.Get();
        List<string> args =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--databases", "8", "--requirepass", Password,
            "--user", MonitorUser, "on", ">" + MonitorPassword, "+info", "+config|get", "+ping",
        ];
        if (primary is not null)
        {
            args.AddRange(["--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture), "--masterauth", Password]);
        }

        var process = new ExternalProcess(exe, args, workingDirectory: dir);
        var server = new RedisServer(process, dir, port);
        await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    return await server.CommandAsync("PING") is "PONG";
                }
                catch (Monitor.Checks.ProbeException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            () => process.Output);
        return server;
    }

    /// <summary>One command as the default user, on a connection of its own.</summary>
    public async Task<object?> CommandAsync(params string[] args)
    {
        var options = new RedisCheckOptions { Address = Address, Host = "127.0.0.1", Port = Port };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var connection = await RespConnection.OpenAsync(options, (_, _, _, _) => false, cts.Token);
        await connection.CommandAsync(cts.Token, "AUTH", Password);
        return await connection.CommandAsync(cts.Token, args);
    }

    public async Task StopAsync()
    {
        _process.Signal("KILL");
        await _process.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        _process.Dispose();
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
