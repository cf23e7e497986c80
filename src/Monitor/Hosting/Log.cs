using Microsoft.Extensions.Logging;

namespace Monitor.Hosting;

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Configuration loaded from {File}: {Checks} checks, {Receivers} receivers, {RuleFiles} rule files")]
    public static partial void ConfigLoaded(ILogger logger, string file, int checks, int receivers, int ruleFiles);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Configuration reload rejected, the running configuration is kept: {Error}")]
    public static partial void ReloadRejected(ILogger logger, string error);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Reload requested by {Source}")]
    public static partial void ReloadRequested(ILogger logger, string source);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "server.listen changed from {Old} to {New}; the new address takes effect after a restart")]
    public static partial void ListenChanged(ILogger logger, string old, string @new);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Monitor {Version} listening on http://{Listen}")]
    public static partial void Listening(ILogger logger, string version, string listen);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Monitor stopped")]
    public static partial void Stopped(ILogger logger);
}
