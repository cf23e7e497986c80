using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>Series held in memory, for rule unit tests and for evaluating over a snapshot.</summary>
internal sealed class MemoryStorage : ISampleStorage
{
    private readonly Dictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<StoredSeries>> _byName = new(StringComparer.Ordinal);

    public StoredSeries GetOrAdd(Label[] labels)
    {
        var sorted = LabelSet.Sorted(labels);
        string key = LabelSet.Key(sorted);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series[key] = new StoredSeries(sorted);
            string name = LabelSet.Get(sorted, LabelSet.MetricName);
            if (!_byName.TryGetValue(name, out var named))
            {
                named = _byName[name] = new HashSet<StoredSeries>(ReferenceEqualityComparer.Instance);
            }

            named.Add(series);
        }

        return series;
    }

    /// <summary>Drops samples older than <paramref name="oldest"/>, and series left with none.</summary>
    public void Trim(long oldest)
    {
        foreach (var (key, series) in _series.ToList())
        {
            int drop = 0;
            while (drop < series.Times.Count && series.Times[drop] < oldest)
            {
                drop++;
            }

            if (drop == series.Times.Count)
            {
                _series.Remove(key);
                _byName[LabelSet.Get(series.Labels, LabelSet.MetricName)].Remove(series);
            }
            else if (drop > 0)
            {
                series.Times.RemoveRange(0, drop);
                series.Values.RemoveRange(0, drop);
            }
        }
    }

    public IEnumerable<StoredSeries> Select(IReadOnlyList<LabelMatcher> matchers)
    {
        // Nearly every selector names its metric: look that up instead of scanning every series.
        IEnumerable<StoredSeries> candidates = SeriesSelection.MetricName(matchers) is { } name
            ? _byName.GetValueOrDefault(name) ?? []
            : _series.Values;
        return SeriesSelection.Filter(candidates, matchers);
    }
}
