using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks;

/// <summary>
/// A kind of check, registered in <see cref="CheckRegistry"/>: the key that names it in the configuration
/// (also its <c>kind</c> label), the reader of its section, and how to build a check of it.
/// </summary>
internal sealed record CheckKind(string Key, Func<YamlMap?, ICheckSettings?> ReadSection, Func<CheckOptions, CheckContext, ICheck> Create) : ICheckKind
{
    public ICheckSettings? Read(YamlMap? section) => ReadSection(section);

    public override string ToString() => Key;
}

/// <summary>What a check is built with besides its options.</summary>
internal sealed record CheckContext(SeriesScope Scope, TimeProvider Time, SeriesStore Store, IDiscoveredChecks Discovered);

/// <summary>Takes the checks a check finds at run time (annotated pods and services), by the check that found them.</summary>
internal interface IDiscoveredChecks
{
    void SetDiscovered(string source, IReadOnlyList<CheckOptions> checks);
}
