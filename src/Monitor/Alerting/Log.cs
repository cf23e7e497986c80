using Microsoft.Extensions.Logging;

namespace Monitor.Alerting;

internal static partial class Log
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Alert store {Kind} ready: {Alerts} alerts, {Groups} groups, {Silences} silences")]
    public static partial void StoreLoaded(ILogger logger, string kind, int alerts, int groups, int silences);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Alert store write failed; the changes are kept and retried: {Error}")]
    public static partial void SaveFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Alert {Alertname} {Fingerprint} ({Severity}) is {Status}")]
    public static partial void AlertChanged(ILogger logger, string alertname, string fingerprint, string severity, string status);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Alert {Fingerprint} acknowledged by {By}")]
    public static partial void Acknowledged(ILogger logger, string fingerprint, string by);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "This replica {Change} the alerting lease")]
    public static partial void Leadership(ILogger logger, string change);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Alert store lease check failed: {Error}")]
    public static partial void LeaseFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "The storage section changed; the new store is used after a restart")]
    public static partial void StorageChanged(ILogger logger);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Alert {Alertname} has severity \"{Label}\", which names no configured level; it is handled as {Given} (severities.unknown_as)")]
    public static partial void UnknownSeverity(ILogger logger, string alertname, string label, string given);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Resolved {Count} stored alerts whose rules no longer exist")]
    public static partial void OrphansResolved(ILogger logger, int count);

    [LoggerMessage(EventId = 4090, Level = LogLevel.Error, Message = "Alert store unreachable at start, retrying every second (/readyz answers 503 until it answers): {Error}")]
    public static partial void StoreUnreachableAtStart(ILogger logger, string error);

    [LoggerMessage(EventId = 4091, Level = LogLevel.Information, Message = "Alert store reachable again: schema up to date, alerting resumes")]
    public static partial void StoreReachable(ILogger logger);
}
