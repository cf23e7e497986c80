using Microsoft.Extensions.Logging;

namespace Monitor.Rules.Engine;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Rules loaded: {Groups} groups, {Rules} rules; longest history reach {Reach}")]
    public static partial void RulesLoaded(ILogger logger, int groups, int rules, TimeSpan reach);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Evaluating rule failed: group {Group}, rule {Rule}: {Error}")]
    public static partial void RuleFailed(ILogger logger, string group, string rule, string error);

}
