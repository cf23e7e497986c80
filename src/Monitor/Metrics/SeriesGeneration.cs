namespace Monitor.Metrics;

/// <summary>
/// The series a check published on its last run, for checks whose series follow what they find (databases,
/// scraped families, Kubernetes objects): a series not published again disappears, as Prometheus marks a
/// series stale when a scrape no longer has it.
/// </summary>
internal sealed class SeriesGeneration(SeriesScope scope)
{
    private HashSet<Series> _previous = new(ReferenceEqualityComparer.Instance);

    public static HashSet<Series> NewSet() => new(ReferenceEqualityComparer.Instance);

    /// <summary>This run saw everything: remove what it did not publish.</summary>
    public void Retain(HashSet<Series> published)
    {
        foreach (var gone in _previous.Where(s => !published.Contains(s)))
        {
            scope.Remove(gone);
        }

        _previous = published;
    }

    /// <summary>This run was cut short: keep what it did not reach, and remember what it published.</summary>
    public void Extend(HashSet<Series> published) => _previous.UnionWith(published);
}
