using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>Series held in memory, for rule unit tests and for evaluating over a snapshot.</summary>
internal sealed class MemoryStorage : ISampleStorage
{
    private readonly Dictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);

    public StoredSeries GetOrAdd(Label[] labels)
    {
        var sorted = LabelSet.Sorted(labels);
        string key = LabelSet.Key(sorted);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series[key] = new StoredSeries(sorted);
        }

        return series;
    }

    public StoredSeries? GetByKey(string key) => _series.GetValueOrDefault(key);

    public IEnumerable<StoredSeries> Select(IReadOnlyList<LabelMatcher> matchers) =>
        _series.Values.Where(s => matchers.All(m => m.Matches(LabelSet.Get(s.Labels, m.Name))));
}
