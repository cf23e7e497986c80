namespace Monitor.Metrics;

/// <summary>
/// The series of one check: every series it creates carries <c>check="name"</c> and the check's labels, and
/// disposing the scope removes them all (a check deleted by a reload leaves nothing behind).
/// </summary>
internal sealed class SeriesScope : IDisposable
{
    private readonly SeriesStore _store;
    private readonly Label[] _baseLabels;
    private readonly HashSet<Series> _owned = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _lock = new();
    private bool _disposed;

    public SeriesScope(SeriesStore store, string checkName, IReadOnlyDictionary<string, string> labels)
    {
        _store = store;
        var list = new List<Label>(labels.Count + 1) { new("check", checkName) };
        foreach (var (name, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (name != "check")
            {
                list.Add(new Label(name, value));
            }
        }

        _baseLabels = [.. list];
    }

    public IReadOnlyList<Label> BaseLabels => _baseLabels;

    /// <summary>
    /// A gauge of the check. A new one reads NaN until the check sets it: before its first run a check knows
    /// nothing, and a 0 there (say <c>probe_success 0</c>) would fire alerts for targets that are up.
    /// </summary>
    public Sample Gauge(string name, string help, params Label[] labels)
    {
        var labelSet = Merge(labels);
        bool existed = _store.Find(name) is { } family && family.Contains(labelSet);
        var sample = Track(_store.Gauge(name, help, labelSet));
        if (!existed)
        {
            sample.Set(double.NaN);
        }

        return sample;
    }

    public Sample Counter(string name, string help, params Label[] labels) =>
        Track(_store.Counter(name, help, Merge(labels)));

    public Sample Untyped(string name, string help, params Label[] labels) =>
        Track(SeriesStore.GetSample(_store.Family(name, MetricType.Unknown, help), Merge(labels)));

    public HistogramSeries Histogram(string name, string help, double[] bounds, params Label[] labels) =>
        Track(_store.Histogram(name, help, bounds, Merge(labels)));

    /// <summary>A sample of an existing family with its own sample name; check labels win (scraped labels that collide become <c>exported_*</c>).</summary>
    public Sample Sample(MetricFamily family, string sampleName, Label[] labels) =>
        Track(SeriesStore.GetSample(family, sampleName, MergeExported(labels)));

    public void Remove(Series series)
    {
        lock (_lock)
        {
            _owned.Remove(series);
        }

        SeriesStore.Remove(series);
    }

    public void Dispose()
    {
        Series[] owned;
        lock (_lock)
        {
            owned = [.. _owned];
            _owned.Clear();
            _disposed = true;
        }

        foreach (var series in owned)
        {
            SeriesStore.Remove(series);
        }
    }

    private T Track<T>(T series)
        where T : Series
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _owned.Add(series);
                return series;
            }
        }

        // A run that finishes after its check was removed must not bring the check's series back.
        SeriesStore.Remove(series);
        return series;
    }

    /// <summary>
    /// Prometheus' <c>honor_labels: false</c> (scrape.go, resolveConflictingExposedLabels): check labels win; a
    /// scraped label whose name is a check label's is renamed <c>exported_NAME</c>, or <c>exported_exported_NAME</c>
    /// and so on while that name is taken too (by another scraped label, a check label or an earlier rename;
    /// shortest names first, as Prometheus does), so the result never holds a name twice. A scraped label with an
    /// empty value is no label at all to Prometheus: one that collides is dropped.
    /// </summary>
    private Label[] MergeExported(Label[] scraped)
    {
        if (!Array.Exists(scraped, s => IsBase(s.Name)))
        {
            return [.. _baseLabels, .. scraped];
        }

        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var label in _baseLabels)
        {
            taken.Add(label.Name);
        }

        var conflicting = new List<int>();
        for (int i = 0; i < scraped.Length; i++)
        {
            if (!IsBase(scraped[i].Name))
            {
                taken.Add(scraped[i].Name);
            }
            else if (scraped[i].Value.Length > 0)
            {
                conflicting.Add(i);
            }
        }

        var renamed = new string?[scraped.Length];
        foreach (int i in conflicting.OrderBy(i => scraped[i].Name.Length))
        {
            string name = scraped[i].Name;
            do
            {
                name = "exported_" + name;
            }
            while (!taken.Add(name));
            renamed[i] = name;
        }

        var merged = new List<Label>(_baseLabels.Length + scraped.Length);
        merged.AddRange(_baseLabels);
        for (int i = 0; i < scraped.Length; i++)
        {
            if (renamed[i] is { } name)
            {
                merged.Add(new Label(name, scraped[i].Value));
            }
            else if (!IsBase(scraped[i].Name))
            {
                merged.Add(scraped[i]);
            }
        }

        return [.. merged];
    }

    private bool IsBase(string name) => Array.Exists(_baseLabels, b => b.Name == name);

    /// <summary>A series' own labels win over a check label of the same name (Prometheus' honor_labels).</summary>
    private Label[] Merge(Label[] own)
    {
        if (own.Length == 0)
        {
            return _baseLabels;
        }

        var merged = new List<Label>(_baseLabels.Length + own.Length);
        foreach (var label in _baseLabels)
        {
            if (Array.FindIndex(own, o => o.Name == label.Name) < 0)
            {
                merged.Add(label);
            }
        }

        merged.AddRange(own);
        return [.. merged];
    }
}
