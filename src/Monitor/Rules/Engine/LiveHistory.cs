using System.Globalization;
using Monitor.Metrics;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Engine;

/// <summary>
/// The sample history rules evaluate over: at every evaluation the current value of every series in the
/// <see cref="SeriesStore"/> that some rule selects is appended (histograms as their <c>_bucket</c>/<c>_sum</c>/
/// <c>_count</c> series), a series that disappeared gets a staleness marker, and each series keeps exactly as
/// much as the longest-reaching selector that matches it needs (<see cref="HistoryPlan"/>), in compact chunks.
/// Rules thus see what a Prometheus scraping Monitor every evaluation interval would see since Monitor started.
/// </summary>
internal sealed class LiveHistory : ISampleStorage
{
    private readonly SeriesStore _store;
    private readonly Lock _lock = new();
    private readonly Dictionary<Metrics.Series, Entry[]> _entries = new(ReferenceEqualityComparer.Instance);
    private readonly SeriesIndex<StoredSeries> _index = new();
    private readonly Dictionary<StoredSeries, long> _retention = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Label[], StoredSeries> _byLabels = new(Evaluation.Labels.Comparer);
    private readonly List<StoredSeries> _retired = [];

    /// <summary>The store's series one recording saw: kept between recordings, emptied after each.</summary>
    private readonly HashSet<Metrics.Series> _seen = new(ReferenceEqualityComparer.Instance);

    private readonly List<Metrics.Series> _gone = [];
    private HistoryPlan _plan = HistoryPlan.Empty;

    public LiveHistory(SeriesStore store) => _store = store;

    /// <summary>What the loaded rules select; setting it re-sizes (or drops) what is held.</summary>
    public HistoryPlan Plan
    {
        get => _plan;
        set
        {
            lock (_lock)
            {
                _plan = value;
                foreach (var series in _retention.Keys.ToList())
                {
                    _retention[series] = value.RetentionFor(series.Labels);
                }

                // Series no rule reads any more are let go; the store's series are looked at afresh, and until a
                // series is seen again it ages out like one that disappeared.
                _entries.Clear();
                foreach (var series in _retention.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList())
                {
                    Forget(series);
                }

                _retired.Clear();
                _retired.AddRange(_retention.Keys);
            }
        }
    }

    private bool Wanted(MetricFamily family)
    {
        var names = _plan.Names;
        if (names is null)
        {
            return _plan.LongestMs > 0;
        }

        string name = family.Name;
        return names.Contains(name) || (family.Type == MetricType.Histogram
            && (names.Contains(name + "_bucket") || names.Contains(name + "_sum") || names.Contains(name + "_count")));
    }

    public int SeriesCount
    {
        get
        {
            lock (_lock)
            {
                return _retention.Count;
            }
        }
    }

    private sealed record Entry(StoredSeries Series, Func<double> Read);

    /// <summary>Appends the current value of every selected series at <paramref name="timeMs"/>.</summary>
    public void Record(long timeMs)
    {
        lock (_lock)
        {
            try
            {
                RecordLocked(timeMs);
            }
            finally
            {
                _seen.Clear();
                _gone.Clear();
            }
        }
    }

    private void RecordLocked(long timeMs)
    {
        foreach (var family in _store.Families)
        {
            if (!Wanted(family))
            {
                continue;
            }

            foreach (var series in family.Snapshot)
            {
                _seen.Add(series);
                if (!_entries.TryGetValue(series, out var entries))
                {
                    entries = _entries[series] = Create(series);
                }

                foreach (var entry in entries)
                {
                    entry.Series.Add(timeMs, entry.Read());
                    entry.Series.Trim(timeMs - _retention[entry.Series]);
                }
            }
        }

        foreach (var series in _entries.Keys)
        {
            if (!_seen.Contains(series))
            {
                _gone.Add(series);
            }
        }

        foreach (var gone in _gone)
        {
            foreach (var entry in _entries[gone])
            {
                entry.Series.Add(timeMs, StoredSeries.StaleNaN);
                _retired.Add(entry.Series);
            }

            _entries.Remove(gone);
        }

        // Retired series leave once their last sample has aged out of what any selector reads.
        for (int i = _retired.Count - 1; i >= 0; i--)
        {
            var series = _retired[i];
            if (series.LastTime is not { } last || last < timeMs - _retention[series])
            {
                Forget(series);
                _retired.RemoveAt(i);
            }
        }
    }

    private void Forget(StoredSeries series)
    {
        _index.Remove(series);
        _byLabels.Remove(series.Labels);
        _retention.Remove(series);
    }

    private Entry[] Create(Metrics.Series series)
    {
        Label[] WithName(string name, Label? extra = null) =>
            LabelSet.Sorted(series.Labels.Append(new Label(LabelSet.MetricName, name)).Concat(extra is { } e ? [e] : []));

        var candidates = new List<(Label[] Labels, Func<double> Read)>();
        switch (series)
        {
            case Sample sample:
                candidates.Add((WithName(series.Family.Name), () => sample.Value));
                break;
            case HistogramSeries histogram:
                for (int i = 0; i < histogram.Bounds.Count; i++)
                {
                    int index = i;
                    candidates.Add((WithName(series.Family.Name + "_bucket", new Label("le", ExpositionText.FormatBound(histogram.Bounds[i]))), () => histogram.CumulativeCount(index)));
                }

                candidates.Add((WithName(series.Family.Name + "_bucket", new Label("le", "+Inf")), () => histogram.Count));
                candidates.Add((WithName(series.Family.Name + "_sum"), () => histogram.Sum));
                candidates.Add((WithName(series.Family.Name + "_count"), () => histogram.Count));
                break;
            default:
                throw new InvalidOperationException($"unknown series type {series.GetType().Name}");
        }

        var entries = new List<Entry>();
        foreach (var (labels, read) in candidates)
        {
            long keep = _plan.RetentionFor(labels);
            if (keep == 0)
            {
                continue; // no rule reads it
            }

            if (!_byLabels.TryGetValue(labels, out var stored))
            {
                stored = _byLabels[labels] = new StoredSeries(labels);
                _index.Add(stored);
            }

            _retired.Remove(stored);
            _retention[stored] = keep;
            entries.Add(new Entry(stored, read));
        }

        return [.. entries];
    }

    public IReadOnlyList<ISeries> Select(IReadOnlyList<LabelMatcher> matchers)
    {
        lock (_lock)
        {
            return _index.Select(matchers);
        }
    }

    /// <summary>Samples held, for the memory figures of docs/benchmarks.md.</summary>
    public long SampleCount
    {
        get
        {
            lock (_lock)
            {
                return _retention.Keys.Sum(s => (long)s.Count);
            }
        }
    }

    /// <summary>Bytes the held samples take.</summary>
    public long SampleBytes
    {
        get
        {
            lock (_lock)
            {
                return _retention.Keys.Sum(s => s.Bytes);
            }
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{SeriesCount} series, {SampleCount} samples, reach {TimeSpan.FromMilliseconds(_plan.LongestMs)}");
}
