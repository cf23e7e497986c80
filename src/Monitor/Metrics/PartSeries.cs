namespace Monitor.Metrics;

/// <summary>
/// The series each part of a check (a Kubernetes resource list, a postgres query) published when it last
/// succeeded: a part that fails keeps them, so one failing read neither blanks the others nor its own last values.
/// </summary>
internal sealed class PartSeries
{
    private readonly Dictionary<string, HashSet<Series>> _last = new(StringComparer.Ordinal);

    /// <summary>The part was read completely: these are its series now.</summary>
    public void Succeeded(string part, HashSet<Series> series) => _last[part] = series;

    /// <summary>The series of the part's last successful read (none when it never succeeded).</summary>
    public IEnumerable<Series> Kept(string part) => _last.TryGetValue(part, out var series) ? series : [];
}
