using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Engine;
using Monitor.Scheduling;

namespace Monitor.Hosting;

internal static class MonitorServiceCollectionExtensions
{
    /// <summary>Registers Monitor's services for a validated configuration read from <paramref name="configPath"/>.</summary>
    public static IServiceCollection AddMonitor(this IServiceCollection services, string configPath, MonitorOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SeriesStore>();
        services.AddSingleton<SelfMetrics>();
        services.AddSingleton<ICheckFactory, CheckFactory>();
        services.AddSingleton<CheckScheduler>();
        services.TryAddSingleton<IAlertSink, LoggingAlertSink>();
        services.AddSingleton<RuleEngine>();
        services.AddSingleton(sp => new MonitorRuntime(
            configPath,
            options,
            sp.GetRequiredService<CheckScheduler>(),
            sp.GetRequiredService<RuleEngine>(),
            sp.GetRequiredService<SelfMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MonitorRuntime>>()));

        // Order matters: the configuration is applied before the scheduler's loop starts.
        services.AddHostedService<MonitorStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckScheduler>());
        services.AddHostedService(sp => sp.GetRequiredService<RuleEngine>());
        return services;
    }
}
