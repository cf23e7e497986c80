using Microsoft.Extensions.Logging;

namespace Monitor.Metrics;

/// <summary>
/// <c>monitor_internal_errors_total{component}</c>: unexpected exceptions a background loop caught, logged and
/// survived. A loop that meets a fault of Monitor's own goes on with its next turn instead of ending the process.
/// </summary>
internal static partial class InternalErrors
{
    public const string Name = "monitor_internal_errors_total";
    private const string Help = "Unexpected exceptions caught by a background loop, which logged them and went on, by component.";

    /// <summary>The loops that count their faults here; each has a series from start, at zero.</summary>
    public static readonly string[] Components = ["scheduler", "checks", "rules", "alerting", "delivery", "reports", "reload"];

    public static void Register(SeriesStore store)
    {
        foreach (string component in Components)
        {
            Counter(store, component);
        }
    }

    public static Sample Counter(SeriesStore store, string component) => store.Counter(Name, Help, [new("component", component)]);

    /// <summary>Logs <paramref name="error"/> with its stack and counts it under <paramref name="component"/>; never throws.</summary>
    public static void Record(SeriesStore store, ILogger logger, string component, Exception error)
    {
        try
        {
            Counter(store, component).Inc();
            LoopFault(logger, component, error);
        }
        catch (Exception)
        {
            // Counting and logging must never be what ends a loop.
        }
    }

    /// <summary>True for an exception a loop catches: anything but its own shutdown.</summary>
    public static bool Unexpected(Exception error, CancellationToken stoppingToken) =>
        !(error is OperationCanceledException && stoppingToken.IsCancellationRequested);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "Internal error in {Component}, caught and counted in monitor_internal_errors_total; the loop goes on")]
    private static partial void LoopFault(ILogger logger, string component, Exception error);
}
