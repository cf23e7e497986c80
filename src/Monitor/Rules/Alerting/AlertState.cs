namespace Monitor.Rules.Alerting;

internal enum AlertState
{
    Inactive,
    Pending,
    Firing,
}
