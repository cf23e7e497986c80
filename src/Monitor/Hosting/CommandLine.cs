using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Api;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Hosting;

/// <summary>The commands of the README's command-line table.</summary>
internal static class CommandLine
{
    private const string Usage = """
        usage: monitor [run] [--config FILE]
               monitor check-config [--config FILE]
               monitor test-rules FILE...       (promtool test rules format)
               monitor test-notify --receiver NAME [--config FILE]
               monitor --version

        The configuration is --config, else $MONITOR_CONFIG, else ./monitor.yaml.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var rest = new List<string>(args);
        string command = rest.Count > 0 && !rest[0].StartsWith('-') ? Take(rest, 0) : "run";
        if (rest.Remove("--version") || command == "version")
        {
            await stdout.WriteLineAsync($"monitor {SelfMetrics.Version}");
            return 0;
        }

        if (rest.Remove("--help") || rest.Remove("-h") || command == "help")
        {
            await stdout.WriteLineAsync(Usage);
            return 0;
        }

        string? configFlag = TakeOption(rest, "--config", out string? configError);
        if (configError is not null)
        {
            await stderr.WriteLineAsync(configError);
            return 2;
        }

        string configPath = configFlag ?? Environment.GetEnvironmentVariable("MONITOR_CONFIG") ?? "monitor.yaml";
        switch (command)
        {
            case "run":
                return await RunServiceAsync(configPath, rest, stderr);
            case "check-config":
                return await CheckConfigAsync(configPath, rest, stdout, stderr);
            case "test-rules":
                if (rest.Count == 0)
                {
                    await stderr.WriteLineAsync("monitor test-rules: give one or more test files");
                    return 2;
                }

                return Rules.Testing.RuleTestRunner.Run(rest, stdout, stderr);
            case "test-notify":
                string? receiver = TakeOption(rest, "--receiver", out string? receiverError);
                if (receiverError is not null || receiver is null || rest.Count > 0)
                {
                    await stderr.WriteLineAsync(receiverError ?? "usage: monitor test-notify --receiver NAME [--config FILE]");
                    return 2;
                }

                return await TestNotifyAsync(configPath, receiver, stdout, stderr);
            default:
                await stderr.WriteLineAsync($"monitor: unknown command \"{command}\"\n\n{Usage}");
                return 2;
        }
    }

    /// <summary>
    /// Sends one test notification through a receiver, straight to the provider (not through the outbox), and
    /// prints the provider's answer. Exit 0 when it was accepted, 1 otherwise.
    /// </summary>
    private static async Task<int> TestNotifyAsync(string configPath, string receiverName, TextWriter stdout, TextWriter stderr)
    {
        var loaded = MonitorConfig.Load(configPath);
        if (!loaded.Success)
        {
            foreach (var error in loaded.Errors)
            {
                await stderr.WriteLineAsync(error.ToString());
            }

            return 1;
        }

        var options = loaded.Options!;
        var receiver = options.Receivers.FirstOrDefault(r => r.Name == receiverName);
        if (receiver is null)
        {
            await stderr.WriteLineAsync($"monitor test-notify: no receiver named \"{receiverName}\" in {configPath}; receivers: {string.Join(", ", options.Receivers.Select(r => r.Name))}");
            return 1;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var time = TimeProvider.System;
        var context = new Delivery.NotifierContext(options, time);
        var notifier = new Delivery.NotifierFactory(http, time).Create(receiver, context);
        var notification = Delivery.TestNotification.Create(receiverName, time.GetUtcNow());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60), time);
        var result = await notifier.SendAsync(notification, timeout.Token);
        (notifier as IDisposable)?.Dispose();
        string outcome = result.Outcome switch
        {
            Delivery.DeliveryOutcome.Delivered => "delivered",
            Delivery.DeliveryOutcome.Retry => "failed (would be retried)",
            _ => "rejected (would not be retried)",
        };
        await (result.Outcome == Delivery.DeliveryOutcome.Delivered ? stdout : stderr).WriteLineAsync($"receiver {receiverName}: {outcome}: {result.Detail}");
        return result.Outcome == Delivery.DeliveryOutcome.Delivered ? 0 : 1;
    }

    private static string Take(List<string> list, int index)
    {
        string value = list[index];
        list.RemoveAt(index);
        return value;
    }

    private static string? TakeOption(List<string> args, string name, out string? error)
    {
        error = null;
        string? value = null;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == name)
            {
                if (i + 1 >= args.Count)
                {
                    error = $"monitor: {name} needs a value";
                    return null;
                }

                value = args[i + 1];
                args.RemoveRange(i, 2);
                i--;
            }
            else if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                value = args[i][(name.Length + 1)..];
                args.RemoveAt(i);
                i--;
            }
        }

        return value;
    }

    private static async Task<int> CheckConfigAsync(string configPath, List<string> rest, TextWriter stdout, TextWriter stderr)
    {
        if (rest.Count > 0)
        {
            await stderr.WriteLineAsync($"monitor check-config: unexpected argument \"{rest[0]}\"");
            return 2;
        }

        var errors = LoadAll(configPath, out _, out var warnings, coverage: true);
        foreach (var warning in warnings)
        {
            await stderr.WriteLineAsync($"warning: {warning}");
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                await stdout.WriteLineAsync(error.ToString());
            }

            return 1;
        }

        await stdout.WriteLineAsync("OK");
        return 0;
    }

    private static async Task<int> RunServiceAsync(string configPath, List<string> rest, TextWriter stderr)
    {
        if (rest.Count > 0)
        {
            await stderr.WriteLineAsync($"monitor: unexpected argument \"{rest[0]}\"\n\n{Usage}");
            return 2;
        }

        var errors = LoadAll(configPath, out var loaded, out _);
        if (errors.Count > 0)
        {
            await stderr.WriteLineAsync($"monitor: invalid configuration {configPath}; not starting:");
            foreach (var error in errors)
            {
                await stderr.WriteLineAsync(error.ToString());
            }

            return 1;
        }

        var options = loaded!;
        try
        {
            return await ServeAsync(configPath, options, stderr);
        }
        catch (Exception e) when (StartupProblem(e, options) is { } problem)
        {
            // One line naming the setting, not a stack trace: the service cannot start as configured.
            await stderr.WriteLineAsync($"monitor: cannot start: {problem}");
            return 1;
        }
    }

    /// <summary>
    /// A start-up failure as one line naming the setting and value (the listen address busy, the SQLite file not
    /// openable, an invalid DSN), or null for a fault of Monitor's own.
    /// </summary>
    internal static string? StartupProblem(Exception e, MonitorOptions options)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerException! : e;
        string listen = options.Server.Listen;
        return inner switch
        {
            IOException io when io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || io.InnerException is AddressInUseException
                => $"server.listen \"{listen}\": address already in use (another process listens there)",
            IOException io when io.Message.StartsWith("Failed to bind", StringComparison.Ordinal)
                => $"server.listen \"{listen}\": {io.Message}",
            System.Net.Sockets.SocketException se => $"server.listen \"{listen}\": {se.Message}",
            ArgumentException ae when options.Storage.Postgres is not null && ae is DsnException => $"storage.postgres: {PostgresDsn.Problem(ae)}",
            System.Data.Common.DbException or IOException or UnauthorizedAccessException when options.Storage.Postgres is null
                => $"storage.sqlite \"{options.Storage.Sqlite}\": {inner.Message}",
            System.Data.Common.DbException when options.Storage.Postgres is not null => $"storage.postgres: {inner.Message}",
            InvalidOperationException when inner.Message.StartsWith("invalid rule files", StringComparison.Ordinal) || inner.Message.Contains("schema version", StringComparison.Ordinal)
                => inner.Message,
            _ => null,
        };
    }

    private static async Task<int> ServeAsync(string configPath, MonitorOptions options, TextWriter stderr)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        // The host logs a failed start and a crashed BackgroundService with their stacks; Monitor says both itself:
        // a start-up failure as one line naming the setting, a crash with its stack (FatalFault below).
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            ConfigureListen(kestrel, options.Server.Listen);
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddMonitor(Path.GetFullPath(configPath), options);
        await using var app = builder.Build();
        app.MapMonitorEndpoints();
        app.MapAlertEndpoints();
        await app.StartAsync();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Monitor");
        Log.Listening(logger, SelfMetrics.Version, options.Server.Listen);
        await app.WaitForShutdownAsync();
        string? fault = FatalFault(app.Services.GetServices<IHostedService>());
        if (fault is not null)
        {
            // The host stopped because a loop died: a failure, so that systemd's Restart=on-failure restarts it.
            await stderr.WriteLineAsync($"monitor: stopping after a fatal error: {fault}");
            foreach (var service in app.Services.GetServices<IHostedService>().OfType<BackgroundService>().Where(b => b.ExecuteTask is { IsFaulted: true }))
            {
                await stderr.WriteLineAsync(service.ExecuteTask!.Exception!.GetBaseException().ToString());
            }

            return 1;
        }

        Log.Stopped(logger);
        return 0;
    }

    /// <summary>
    /// Why the process stops on an error, or null for an ordinary shutdown: a background service whose loop ended
    /// with an exception (the host then stops itself, and the exit must not look like a clean stop).
    /// </summary>
    internal static string? FatalFault(IEnumerable<IHostedService> services)
    {
        foreach (var service in services.OfType<BackgroundService>())
        {
            if (service.ExecuteTask is { IsFaulted: true } task)
            {
                var error = task.Exception!.GetBaseException();
                return $"{service.GetType().Name} failed: {error.GetType().Name}: {error.Message}";
            }
        }

        return null;
    }

    /// <summary>
    /// The configuration and every rule file it names, with all their errors; with <paramref name="coverage"/> the
    /// warnings include the selectors no configured check produces (check-config).
    /// </summary>
    private static List<ConfigError> LoadAll(string configPath, out MonitorOptions? options, out List<ConfigError> warnings, bool coverage = false)
    {
        var result = MonitorConfig.Load(configPath);
        options = result.Options;
        var errors = new List<ConfigError>(result.Errors);
        warnings = [];
        if (result.Options is not null)
        {
            var rules = Rules.Engine.RuleEngine.Load(result.Options);
            errors.AddRange(rules.Errors);
            warnings.AddRange(rules.Warnings);
            if (coverage && rules.Errors.Count == 0)
            {
                warnings.AddRange(SelectorCoverage.Warnings(result.Options, rules.Groups));
            }
        }

        return errors;
    }

    private static void ConfigureListen(KestrelServerOptions kestrel, string listen)
    {
        if (!ConfigLoader.TryParseListen(listen, out string host, out int port))
        {
            throw new ArgumentException($"invalid listen address {listen}", nameof(listen));
        }

        if (host is "" or "0.0.0.0" or "*")
        {
            kestrel.ListenAnyIP(port);
        }
        else if (host == "localhost")
        {
            kestrel.ListenLocalhost(port);
        }
        else if (IPAddress.TryParse(host, out var address))
        {
            kestrel.Listen(address, port);
        }
        else
        {
            kestrel.Listen(Dns.GetHostAddresses(host)[0], port);
        }
    }
}
