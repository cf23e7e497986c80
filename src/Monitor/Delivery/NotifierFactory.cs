using Monitor.Configuration;

namespace Monitor.Delivery;

/// <summary>Builds the notifier of each configured receiver.</summary>
internal sealed class NotifierFactory(HttpClient client, TimeProvider time)
{
    public Dictionary<string, INotifier> Create(MonitorOptions options)
    {
        var context = new NotifierContext(options, time);
        var notifiers = new Dictionary<string, INotifier>(StringComparer.Ordinal);
        foreach (var receiver in options.Receivers)
        {
            notifiers[receiver.Name] = Create(receiver, context);
        }

        return notifiers;
    }

    public INotifier Create(ReceiverOptions receiver, NotifierContext context) => receiver switch
    {
        { Webhook: { } webhook } => new WebhookNotifier(receiver.Name, webhook, client, context),
        _ => throw new NotSupportedException($"receiver {receiver.Name}: kind not supported"),
    };
}
