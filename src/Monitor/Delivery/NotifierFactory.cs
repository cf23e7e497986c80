using Monitor.Configuration;

namespace Monitor.Delivery;

/// <summary>
/// Builds the notifier of each configured receiver. Alertmanager notifiers keep the alerts they re-send every
/// minute, so a reload keeps them (with the new URLs) instead of starting empty.
/// </summary>
internal sealed class NotifierFactory(HttpClient client, TimeProvider time)
{
    private readonly Dictionary<string, AlertmanagerNotifier> _alertmanagers = new(StringComparer.Ordinal);

    public Dictionary<string, INotifier> Create(MonitorOptions options)
    {
        var context = new NotifierContext(options, time);
        var notifiers = new Dictionary<string, INotifier>(StringComparer.Ordinal);
        lock (_alertmanagers)
        {
            foreach (var receiver in options.Receivers)
            {
                notifiers[receiver.Name] = Create(receiver, context);
            }

            foreach (var name in _alertmanagers.Keys.Where(n => !notifiers.ContainsKey(n) || notifiers[n] is not AlertmanagerNotifier).ToList())
            {
                _alertmanagers[name].Dispose();
                _alertmanagers.Remove(name);
            }
        }

        return notifiers;
    }

    public INotifier Create(ReceiverOptions receiver, NotifierContext context)
    {
        switch (receiver)
        {
            case { PagerDuty: { } pagerDuty }:
                return new PagerDutyNotifier(pagerDuty, client, context);
            case { Slack: { } slack }:
                return new SlackNotifier(slack, client, context);
            case { Email: { } email }:
                return new EmailNotifier(email, context);
            case { Webhook: { } webhook }:
                return new WebhookNotifier(receiver.Name, webhook, client, context);
            case { Alertmanager: { } alertmanager }:
                if (_alertmanagers.TryGetValue(receiver.Name, out var kept))
                {
                    kept.Update(alertmanager);
                    return kept;
                }

                var created = new AlertmanagerNotifier(alertmanager, client, context);
                _alertmanagers[receiver.Name] = created;
                return created;
            default:
                throw new InvalidOperationException($"receiver {receiver.Name} has no kind");
        }
    }
}
