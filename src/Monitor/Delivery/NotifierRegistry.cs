using Monitor.Delivery.Alertmanager;
using Monitor.Delivery.Email;
using Monitor.Delivery.PagerDuty;
using Monitor.Delivery.Slack;
using Monitor.Delivery.Webhook;

namespace Monitor.Delivery;

/// <summary>
/// Every receiver kind. The configuration loader reads receivers through it and the factory builds their
/// notifiers through it; adding a notifier is a folder under <c>Delivery/</c> and one line here.
/// </summary>
internal static class NotifierRegistry
{
    public static IReadOnlyList<NotifierKind> Kinds { get; } =
    [
        PagerDutyNotifier.Kind,
        SlackNotifier.Kind,
        EmailNotifier.Kind,
        AlertmanagerNotifier.Kind,
        WebhookNotifier.Kind,
    ];
}
