using Monitor.Configuration;

namespace Monitor.Delivery;

/// <summary>
/// A kind of receiver, registered in <see cref="NotifierRegistry"/>: the key that names it in the configuration,
/// the reader of its section, and how to build its notifier. <c>Create</c> is given the notifier the receiver
/// had before a reload (or null), so a kind that keeps state can carry it on instead of starting empty.
/// </summary>
internal sealed record NotifierKind(string Key, Func<YamlMap?, IReceiverSettings?> ReadSection, Func<ReceiverOptions, NotifierServices, INotifier?, INotifier> Create) : IReceiverKind
{
    public IReceiverSettings? Read(YamlMap? section) => ReadSection(section);

    public override string ToString() => Key;
}

/// <summary>What a notifier is built with besides its receiver's options.</summary>
internal sealed record NotifierServices(HttpClient Http, NotifierContext Context);
