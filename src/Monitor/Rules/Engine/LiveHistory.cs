using System.Globalization;
using Monitor.Metrics;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Engine;

/// <summary>
/// The bounded sample history rules evaluate over: at every evaluation the current value of every series
/// in the <see cref="SeriesStore"/> is appended (histograms as their <c>_bucket</c>/<c>_sum</c>/<c>_count</c>
/// series), a series that disappeared gets a staleness marker, and samples older than the window (the
/// longest range any rule uses plus the 5 m lookback) are dropped. Rules thus see exactly what a Prometheus
/// scraping Monitor every evaluation interval would see.
/// </summary>
internal sealed class LiveHistory : ISampleStorage
{
    private readonly SeriesStore _store;
    private readonly Lock _lock = new();
    private readonly Dictionary<Series, Entry[]> _entries = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, List<StoredSeries>> _byName = new(StringComparer.Ordinal);
    private readonly List<(long DropAfter, StoredSeries Series)> _retired = [];
    private long _window;
    private IReadOnlySet<string>? _names = new HashSet<string>(StringComparer.Ordinal);

    public LiveHistory(SeriesStore store, TimeSpan window)
    {
        _store = store;
        Window = window;
    }

    /// <summary>How far back samples are kept.</summary>
    public TimeSpan Window
    {
        get => TimeSpan.FromMilliseconds(_window);
        set => _window = (long)value.TotalMilliseconds;
    }

    /// <summary>
    /// The metric names rules select; only their families are recorded. Null records every family (a rule
    /// has a selector without a metric name); empty records nothing (no rules), so a Monitor without rules
    /// pays nothing for the history.
    /// </summary>
    public IReadOnlySet<string>? RecordedNames
    {
        get => _names;
        set => _names = value;
    }

    private bool Wanted(MetricFamily family)
    {
        var names = _names;
        if (names is null)
        {
            return true;
        }

        if (names.Count == 0)
        {
            return false;
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
                return _byName.Values.Sum(l => l.Count);
            }
        }
    }

    private sealed record Entry(StoredSeries Series, Func<double> Read);

    /// <summary>Appends the current value of every series at <paramref name="timeMs"/>.</summary>
    public void Record(long timeMs)
    {
        lock (_lock)
        {
            var seen = new HashSet<Series>(ReferenceEqualityComparer.Instance);
            foreach (var family in _store.Families)
            {
                if (!Wanted(family))
                {
                    continue;
                }

                foreach (var series in family.Snapshot)
                {
                    seen.Add(series);
                    if (!_entries.TryGetValue(series, out var entries))
                    {
                        entries = _entries[series] = Create(series);
                        foreach (var entry in entries)
                        {
                            Index(entry.Series);
                        }
                    }

                    foreach (var entry in entries)
                    {
                        Append(entry.Series, timeMs, entry.Read());
                    }
                }
            }

            foreach (var gone in _entries.Keys.Where(s => !seen.Contains(s)).ToList())
            {
                foreach (var entry in _entries[gone])
                {
                    Append(entry.Series, timeMs, StoredSeries.StaleNaN);
                    _retired.Add((timeMs + _window, entry.Series));
                }

                _entries.Remove(gone);
            }

            // Retired series leave the index once their last sample has aged out of the window.
            for (int i = _retired.Count - 1; i >= 0; i--)
            {
                if (_retired[i].DropAfter < timeMs)
                {
                    var series = _retired[i].Series;
                    _byName[LabelSet.Get(series.Labels, LabelSet.MetricName)].Remove(series);
                    _retired.RemoveAt(i);
                }
            }
        }
    }

    private void Append(StoredSeries series, long timeMs, double value)
    {
        series.Add(timeMs, value);
        long oldest = timeMs - _window;
        int drop = 0;
        while (drop < series.Times.Count && series.Times[drop] < oldest)
        {
            drop++;
        }

        if (drop > 0)
        {
            series.Times.RemoveRange(0, drop);
            series.Values.RemoveRange(0, drop);
        }
    }

    private void Index(StoredSeries series)
    {
        string name = LabelSet.Get(series.Labels, LabelSet.MetricName);
        if (!_byName.TryGetValue(name, out var list))
        {
            list = _byName[name] = [];
        }

        list.Add(series);
    }

    private static Entry[] Create(Series series)
    {
        Label[] WithName(string name, Label? extra = null) =>
            LabelSet.Sorted(series.Labels.Append(new Label(LabelSet.MetricName, name)).Concat(extra is { } e ? [e] : []));

        switch (series)
        {
            case Sample sample:
                return [new Entry(new StoredSeries(WithName(series.Family.Name)), () => sample.Value)];
            case HistogramSeries histogram:
                var entries = new List<Entry>();
                for (int i = 0; i < histogram.Bounds.Count; i++)
                {
                    int index = i;
                    entries.Add(new Entry(new StoredSeries(WithName(series.Family.Name + "_bucket", new Label("le", ExpositionText.FormatBound(histogram.Bounds[i])))), () => histogram.CumulativeCount(index)));
                }

                entries.Add(new Entry(new StoredSeries(WithName(series.Family.Name + "_bucket", new Label("le", "+Inf"))), () => histogram.Count));
                entries.Add(new Entry(new StoredSeries(WithName(series.Family.Name + "_sum")), () => histogram.Sum));
                entries.Add(new Entry(new StoredSeries(WithName(series.Family.Name + "_count")), () => histogram.Count));
                return [.. entries];
            default:
                throw new InvalidOperationException($"unknown series type {series.GetType().Name}");
        }
    }

    public IEnumerable<StoredSeries> Select(IReadOnlyList<LabelMatcher> matchers)
    {
        lock (_lock)
        {
            IEnumerable<StoredSeries> candidates = SeriesSelection.MetricName(matchers) is { } name
                ? _byName.GetValueOrDefault(name) ?? []
                : _byName.Values.SelectMany(l => l);
            return [.. SeriesSelection.Filter(candidates, matchers)];
        }
    }

    /// <summary>Samples held, for the memory figures of docs/benchmarks.md.</summary>
    public long SampleCount
    {
        get
        {
            lock (_lock)
            {
                return _byName.Values.Sum(l => l.Sum(s => (long)s.Times.Count));
            }
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{SeriesCount} series, {SampleCount} samples, window {Window}");
}
