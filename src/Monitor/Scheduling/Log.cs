using Microsoft.Extensions.Logging;

namespace Monitor.Scheduling;

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Check {Check} failed ({Reason}): {Error}")]
    public static partial void CheckFailed(ILogger logger, string check, string? reason, string? error);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Check {Check} recovered")]
    public static partial void CheckRecovered(ILogger logger, string check);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Check {Check} threw; checks must report failures, not throw")]
    public static partial void CheckThrew(ILogger logger, string check, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Schedule updated: {Total} checks ({Added} added, {Changed} changed, {Removed} removed, {NotOwned} on other shards)")]
    public static partial void ScheduleUpdated(ILogger logger, int total, int added, int changed, int removed, int notOwned);

}
