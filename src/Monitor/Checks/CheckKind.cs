using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks;

/// <summary>
/// A kind of check, registered in <see cref="CheckRegistry"/>: the key that names it in the configuration
/// (also its <c>kind</c> label), the reader of its section, how to build a check of it, and the metric families
/// it publishes.
/// </summary>
internal sealed record CheckKind(string Key, Func<YamlMap?, ICheckSettings?> ReadSection, Func<CheckOptions, CheckContext, ICheck> Create, MetricFamilies Families) : ICheckKind
{
    /// <summary>
    /// For kinds whose families depend on their settings (a scrape check's <c>keep</c>/<c>drop</c>, a kubernetes
    /// check's <c>usage_keep</c> and discovery); otherwise <see cref="Families"/> decides.
    /// </summary>
    public Func<ICheckSettings, string, Production>? Produces { get; init; }

    public ICheckSettings? Read(YamlMap? section) => ReadSection(section);

    /// <summary>Whether a check of this kind with these settings can publish <paramref name="metric"/>.</summary>
    public Production CanProduce(ICheckSettings settings, string metric) =>
        Produces?.Invoke(settings, metric) ?? (Families.Contains(metric) ? Production.Yes : Production.No);

    public override string ToString() => Key;
}

/// <summary>What a check is built with besides its options.</summary>
internal sealed record CheckContext(SeriesScope Scope, TimeProvider Time, SeriesStore Store, IDiscoveredChecks Discovered);

/// <summary>Takes the checks a check finds at run time (annotated pods and services), by the check that found them.</summary>
internal interface IDiscoveredChecks
{
    void SetDiscovered(string source, IReadOnlyList<CheckOptions> checks);
}
