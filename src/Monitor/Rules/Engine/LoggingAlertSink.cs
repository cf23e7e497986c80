using Microsoft.Extensions.Logging;
using Monitor.Rules.Alerting;
using Monitor.Rules.Evaluation;

namespace Monitor.Rules.Engine;

/// <summary>Logs transitions; the default sink until the alerting pipeline consumes them.</summary>
internal sealed class LoggingAlertSink(ILogger<LoggingAlertSink> logger) : IAlertSink
{
    public void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        foreach (var t in transitions)
        {
            string labels = LabelSet.Format(t.Alert.Labels);
            string from = t.From.ToString();
            string to = t.To.ToString();
            Log.AlertTransition(logger, t.Rule, labels, from, to);
        }
    }
}
