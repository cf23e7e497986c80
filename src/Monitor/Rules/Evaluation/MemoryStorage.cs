using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>Series held in memory: a rule test's input, and the rules' own output (recorded series, ALERTS).</summary>
internal sealed class MemoryStorage : ISampleStorage
{
    private readonly Dictionary<Label[], StoredSeries> _series = new(Labels.Comparer);
    private readonly SeriesIndex<StoredSeries> _index = new();

    public int SeriesCount => _series.Count;

    public IEnumerable<StoredSeries> All => _series.Values;

    /// <summary>The series with exactly these labels (sorted by name, no empty values), created when new.</summary>
    public StoredSeries GetOrAdd(Label[] labels)
    {
        var sorted = LabelSet.Sorted(labels);
        if (!_series.TryGetValue(sorted, out var series))
        {
            series = _series[sorted] = new StoredSeries(sorted);
            _index.Add(series);
        }

        return series;
    }

    /// <summary>
    /// Drops samples no selector needs any more: for each series those older than <paramref name="now"/> minus its
    /// retention (0: not selected at all), and series left without samples.
    /// </summary>
    public void Trim(long now, Func<Label[], long> retention)
    {
        List<Label[]>? empty = null;
        foreach (var (labels, series) in _series)
        {
            long keep = retention(labels);
            series.Trim(now - keep);
            if (series.LastTime is not { } last || last < now - keep)
            {
                (empty ??= []).Add(labels);
            }
        }

        foreach (var labels in empty ?? [])
        {
            var series = _series[labels];
            _series.Remove(labels);
            _index.Remove(series);
            series.Removed = true;
        }
    }

    public IReadOnlyList<ISeries> Select(IReadOnlyList<LabelMatcher> matchers) => _index.Select(matchers);
}
