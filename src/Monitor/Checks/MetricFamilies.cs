namespace Monitor.Checks;

/// <summary>Whether a check can publish a metric name: yes, no, or possibly (an endpoint it discovers at run time may expose it).</summary>
internal enum Production
{
    No,
    Yes,
    Possibly,
}

/// <summary>
/// The metric names a check kind can publish: exact names, and prefixes for families named after a source's
/// fields (<c>node_memory_&lt;Field&gt;_bytes</c>, <c>pg_stat_database_&lt;column&gt;</c>, <c>nvidia_smi_&lt;field&gt;</c>).
/// <c>check-config</c> reads them to warn about rule selectors no configured check can feed.
/// </summary>
internal sealed class MetricFamilies
{
    private readonly HashSet<string> _names;

    public MetricFamilies(IEnumerable<string> names, params string[] prefixes)
    {
        _names = new HashSet<string>(names, StringComparer.Ordinal);
        Prefixes = prefixes;
    }

    public IReadOnlyCollection<string> Names => _names;

    public IReadOnlyList<string> Prefixes { get; }

    public bool Contains(string metric) =>
        _names.Contains(metric) || Prefixes.Any(p => metric.Length > p.Length && metric.StartsWith(p, StringComparison.Ordinal));
}
