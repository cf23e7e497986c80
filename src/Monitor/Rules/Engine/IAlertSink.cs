using Monitor.Rules.Alerting;

namespace Monitor.Rules.Engine;

/// <summary>Where alert transitions go after each evaluation: the alerting pipeline (issue #4).</summary>
internal interface IAlertSink
{
    void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at);
}
