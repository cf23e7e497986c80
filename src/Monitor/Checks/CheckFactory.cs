using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks;

/// <summary>Builds the check of a configured kind through its registration.</summary>
internal sealed class CheckFactory(TimeProvider timeProvider, SeriesStore store) : ICheckFactory
{
    private readonly Dictionary<string, CheckKind> _kinds = CheckRegistry.Kinds.ToDictionary(k => k.Key, StringComparer.Ordinal);

    public ICheck Create(CheckOptions options, SeriesScope scope, IDiscoveredChecks discovered) =>
        _kinds.TryGetValue(options.Kind.Key, out var kind)
            ? kind.Create(options, new CheckContext(scope, timeProvider, store, discovered))
            : throw new ArgumentException($"check {options.Name}: kind {options.Kind.Key} is not registered", nameof(options));
}
