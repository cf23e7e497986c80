using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Alerting;
using Monitor.Api;
using Monitor.Checks;
using Monitor.Delivery;
using Monitor.Delivery.Outbox;
using Monitor.Delivery.Reports;
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
        // Alert and receiver templates reach the logs checks' kept lines through logLines.
        Monitor.Templating.PrometheusFunctions.LogLines = Monitor.Checks.Logs.RecentLogLines.Matching;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SeriesStore>();
        services.AddSingleton<SelfMetrics>();
        services.AddSingleton<ICheckFactory, CheckFactory>();
        services.AddSingleton<CheckScheduler>();
        services.AddSingleton<AlertPipeline>();
        services.TryAddSingleton<IAlertSink>(sp => sp.GetRequiredService<AlertPipeline>());
        services.AddSingleton<IAlertingOutbox>(sp => sp.GetRequiredService<AlertPipeline>());
        services.AddSingleton<IAlertService>(sp => sp.GetRequiredService<AlertPipeline>());
        services.AddSingleton(OutboxPolicy.Default);
        services.AddSingleton<RuleEngine>();
        services.AddSingleton(sp => new NotifierFactory(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) },
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<IReportSource, StatusReadModel>();
        services.AddSingleton<ReportScheduler>();
        services.AddSingleton(sp => new MonitorRuntime(
            configPath,
            options,
            sp.GetRequiredService<CheckScheduler>(),
            sp.GetRequiredService<RuleEngine>(),
            sp.GetRequiredService<AlertPipeline>(),
            sp.GetRequiredService<OutboxDispatcher>(),
            sp.GetRequiredService<ReportScheduler>(),
            sp.GetRequiredService<SelfMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MonitorRuntime>>()));
        services.AddSingleton<IRuntimeControl>(sp => sp.GetRequiredService<MonitorRuntime>());

        // Order matters: the configuration is applied before the scheduler's loop starts.
        services.AddHostedService<MonitorStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckScheduler>());
        services.AddHostedService(sp => sp.GetRequiredService<RuleEngine>());
        services.AddHostedService(sp => sp.GetRequiredService<AlertPipeline>());
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<ReportScheduler>());
        return services;
    }
}
