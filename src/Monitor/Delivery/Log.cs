using Microsoft.Extensions.Logging;

namespace Monitor.Delivery;

internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Notified {Receiver} ({Kind}, {Severity}, {Alerts} alerts): {Detail}")]
    public static partial void Delivered(ILogger logger, string receiver, string kind, string severity, int alerts, string detail);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Notification to {Receiver} failed (attempt {Attempt}), retrying in {Delay}: {Detail}")]
    public static partial void Retrying(ILogger logger, string receiver, int attempt, TimeSpan delay, string detail);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Notification to {Receiver} rejected by the provider, not retried: {Detail}")]
    public static partial void Rejected(ILogger logger, string receiver, string detail);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Error, Message = "Notification to {Receiver} given up after {Attempts} attempts: {Detail}")]
    public static partial void GivenUp(ILogger logger, string receiver, int attempts, string detail);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Receiver {Receiver} keeps failing; {Severity} notification also sent to fallback {Fallback}")]
    public static partial void Fallback(ILogger logger, string receiver, string severity, string fallback);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Error, Message = "Outbox store update failed: {Error}")]
    public static partial void StoreFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Report {Report} queued for {Receivers}")]
    public static partial void ReportSent(ILogger logger, string report, string receivers);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Error, Message = "Report {Report} could not be queued: {Error}")]
    public static partial void ReportFailed(ILogger logger, string report, string error);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Warning, Message = "Report {Report} of {Occurrence} was missed (Monitor was down or not the leader); sending it late")]
    public static partial void ReportLate(ILogger logger, string report, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Error, Message = "Notifier of receiver {Receiver} failed with an internal error; the message is treated as refused")]
    public static partial void NotifierFault(ILogger logger, string receiver, Exception exception);
}
