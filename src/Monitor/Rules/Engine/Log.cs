using Microsoft.Extensions.Logging;

namespace Monitor.Rules.Engine;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Rules loaded: {Groups} groups, {Rules} rules; history window {Window}")]
    public static partial void RulesLoaded(ILogger logger, int groups, int rules, TimeSpan window);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Rule group {Group} failed to evaluate: {Error}")]
    public static partial void GroupFailed(ILogger logger, string group, string error);

}
