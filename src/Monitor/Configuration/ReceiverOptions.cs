namespace Monitor.Configuration;

/// <summary>One entry of <c>receivers:</c>: its name, and its kind's own settings.</summary>
internal sealed record ReceiverOptions
{
    public required string Name { get; init; }

    public required IReceiverKind Kind { get; init; }

    /// <summary>The kind's section, validated (a <c>SlackReceiverOptions</c> for <c>slack</c>, …).</summary>
    public required IReceiverSettings Settings { get; init; }

    /// <summary>The kind's settings as their type.</summary>
    public T SettingsOf<T>()
        where T : class, IReceiverSettings =>
        Settings as T ?? throw new ArgumentException($"receiver {Name} is a {Kind.Key} receiver, not configured by {typeof(T).Name}");
}
