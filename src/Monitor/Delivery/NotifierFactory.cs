using Monitor.Configuration;

namespace Monitor.Delivery;

/// <summary>
/// Builds the notifier of each configured receiver through its kind's registration. A reload hands each kind the
/// receiver's previous notifier, so one that keeps state (Alertmanager's re-sends) carries it on; previous
/// notifiers that are not carried on are disposed.
/// </summary>
internal sealed class NotifierFactory(HttpClient client, TimeProvider time, IReadOnlyList<NotifierKind>? kinds = null)
{
    private readonly Dictionary<string, NotifierKind> _kinds = (kinds ?? NotifierRegistry.Kinds).ToDictionary(k => k.Key, StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Dictionary<string, INotifier> _current = new(StringComparer.Ordinal);

    public Dictionary<string, INotifier> Create(MonitorOptions options)
    {
        var context = new NotifierContext(options, time);
        var notifiers = new Dictionary<string, INotifier>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var receiver in options.Receivers)
            {
                notifiers[receiver.Name] = Create(receiver, context, _current.GetValueOrDefault(receiver.Name));
            }

            foreach (var previous in _current.Values.Where(p => !notifiers.ContainsValue(p)).OfType<IDisposable>())
            {
                previous.Dispose();
            }

            _current = notifiers;
        }

        return new Dictionary<string, INotifier>(notifiers, StringComparer.Ordinal);
    }

    /// <summary>One receiver's notifier, on its own (for <c>monitor test-notify</c>).</summary>
    public INotifier Create(ReceiverOptions receiver, NotifierContext context, INotifier? previous = null) =>
        _kinds.TryGetValue(receiver.Kind.Key, out var kind)
            ? kind.Create(receiver, new NotifierServices(client, context), previous)
            : throw new ArgumentException($"receiver {receiver.Name}: kind {receiver.Kind.Key} is not registered", nameof(receiver));
}
