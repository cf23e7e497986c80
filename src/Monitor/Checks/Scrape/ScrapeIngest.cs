using System.Text.RegularExpressions;
using Monitor.Metrics;

namespace Monitor.Checks.Scrape;

/// <summary>What one scrape's body came to; the check turns it into its result.</summary>
internal readonly record struct IngestOutcome(long Count, bool OverSampleLimit, IReadOnlyList<string> Conflicts, RegexMatchTimeoutException? Timeout, string? TimeoutFamily);

/// <summary>
/// Parses a scrape's body and publishes its series into the store, as Prometheus' scrape loop does with its
/// scrape cache: a series is known by its text (name and label set, exactly as the endpoint wrote them), so on a
/// re-scrape of unchanged series a line costs a lexer pass, a hash lookup of those bytes and a value store —
/// no string, no label array, no store lookup, no lock. Only a series not seen before (or whose family changed)
/// has its labels decoded and goes through <see cref="SeriesScope.Sample"/> (check labels added, clashing
/// scraped ones re-exposed as <c>exported_*</c>).
/// <para>
/// All or nothing, as before: a body that fails to parse, a keep/drop regex that times out, or a scrape over
/// sample_limit (which also removes the last scrape's series) publishes nothing; otherwise the series the scrape
/// did not have are removed. One instance per check; runs of a check do not overlap.
/// </para>
/// </summary>
internal sealed class ScrapeIngest : IExpositionSink
{
    private readonly SeriesStore _store;
    private readonly SeriesScope _scope;
    private readonly Func<string, bool> _kept;
    private readonly long _sampleLimit;
    private readonly ExpositionReader _reader = new();
    private readonly Utf8Interner _values = new();

    // The scrape cache: series text → the series it was published as. Entries of series gone are removed.
    private readonly Dictionary<byte[], CacheEntry> _cache = new(Utf8KeyComparer.Instance);
    private readonly Dictionary<byte[], CacheEntry>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    // Every series the last scrape published, with the scrape that last had it.
    private readonly Dictionary<Series, Owned> _owned = new(ReferenceEqualityComparer.Instance);

    // This scrape, until it is applied.
    private readonly List<FamilyState> _families = [];
    private readonly List<Miss> _misses = [];
    private readonly List<string> _conflicts = [];
    private Pending[] _pending = new Pending[1024];
    private int _pendingCount;
    private long _count;
    private RegexMatchTimeoutException? _timeout;
    private string? _timeoutFamily;
    private int _epoch;

    public ScrapeIngest(SeriesStore store, SeriesScope scope, Func<string, bool> kept, long sampleLimit)
    {
        _store = store;
        _scope = scope;
        _kept = kept;
        _sampleLimit = sampleLimit;
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Series held (published by the last scrape).</summary>
    public int SeriesCount => _owned.Count;

    /// <summary>Parses <paramref name="body"/> and, unless something refuses it, publishes it; a parse error is thrown as <see cref="ExpositionParseException"/> with nothing changed.</summary>
    public IngestOutcome Ingest(ReadOnlySpan<byte> body, bool openMetrics)
    {
        _families.Clear();
        _misses.Clear();
        _conflicts.Clear();
        _pendingCount = 0;
        _count = 0;
        _timeout = null;
        _timeoutFamily = null;
        try
        {
            _reader.Read(body, openMetrics, this);
            if (_timeout is not null)
            {
                return new IngestOutcome(0, false, [], _timeout, _timeoutFamily);
            }

            var conflicts = _conflicts.Count == 0 ? [] : _conflicts.ToArray();
            if (_sampleLimit > 0 && _count > _sampleLimit)
            {
                // As Prometheus: the whole scrape is refused before any of it is stored, and the last one's series go.
                RemoveAll();
                return new IngestOutcome(_count, true, conflicts, null, null);
            }

            Apply();
            return new IngestOutcome(_count, false, conflicts, null, null);
        }
        finally
        {
            // Nothing of this scrape is held on to (labels of new series, families) until the next.
            _misses.Clear();
            _families.Clear();
            Array.Clear(_pending, 0, _pendingCount);
            _pendingCount = 0;
        }
    }

    void IExpositionSink.Family(string name, MetricType type, string help)
    {
        var family = new FamilyState(name, type, help);
        _families.Add(family);
        if (_timeout is not null)
        {
            return; // the scrape fails on the first family whose keep/drop ran out of time
        }

        try
        {
            if (!_kept(name))
            {
                return;
            }
        }
        catch (RegexMatchTimeoutException e)
        {
            _timeout = e;
            _timeoutFamily = name;
            return;
        }

        var existing = _store.Find(name);
        if (existing is not null && existing.Type != type)
        {
            _conflicts.Add($"{name} is a {type.ToString().ToLowerInvariant()} there and a {existing.Type.ToString().ToLowerInvariant()} here");
            return;
        }

        family.Kept = true;
        family.Store = existing;
    }

    void IExpositionSink.Sample(int family, ref LexedSample sample)
    {
        var state = _families[family];
        if (!state.Kept)
        {
            return;
        }

        _count++;
        if (_sampleLimit > 0 && _count > _sampleLimit)
        {
            return; // refused whatever follows: only counted
        }

        Owned? owned = null;
        if (sample.HasSeriesText && state.Store is { } store && _lookup.TryGetValue(sample.Series, out var entry) && ReferenceEquals(entry.Family, store))
        {
            owned = entry.Owned;
        }

        int miss = -1;
        if (owned is null)
        {
            miss = _misses.Count;
            _misses.Add(new Miss(family, sample.Name, sample.MaterializeLabels(_reader.Names, _values), sample.HasSeriesText ? sample.Series.ToArray() : null));
        }

        if (_pendingCount == _pending.Length)
        {
            Array.Resize(ref _pending, _pending.Length * 2);
        }

        _pending[_pendingCount++] = new Pending(owned, miss, sample.Value);
    }

    private void Apply()
    {
        int epoch = ++_epoch;
        for (int p = 0; p < _pendingCount; p++)
        {
            var (owned, miss, value) = _pending[p];
            if (owned is null)
            {
                var m = _misses[miss];
                var state = _families[m.Family];
                var family = state.Store ??= _store.Family(state.Name, state.Type, state.Help);
                var series = _scope.Sample(family, m.SampleName, m.Labels);
                if (!_owned.TryGetValue(series, out owned))
                {
                    owned = new Owned(series);
                    _owned.Add(series, owned);
                }

                if (m.Key is not null)
                {
                    _cache[m.Key] = new CacheEntry(owned, family);
                }
            }

            owned.Series.Set(value);
            owned.Seen = epoch;
        }

        bool removed = false;
        foreach (var (series, owned) in _owned)
        {
            if (owned.Seen != epoch)
            {
                owned.Gone = true;
                _scope.Remove(series);
                _owned.Remove(series);
                removed = true;
            }
        }

        if (removed)
        {
            foreach (var (key, entry) in _cache)
            {
                if (entry.Owned.Gone)
                {
                    _cache.Remove(key);
                }
            }
        }
    }

    private void RemoveAll()
    {
        foreach (var series in _owned.Keys)
        {
            _scope.Remove(series);
        }

        _owned.Clear();
        _cache.Clear();
    }

    private sealed class FamilyState(string name, MetricType type, string help)
    {
        public string Name => name;

        public MetricType Type => type;

        public string Help => help;

        public bool Kept { get; set; }

        /// <summary>The store's family: found when the scrape began, or created when its first new series is published.</summary>
        public MetricFamily? Store { get; set; }
    }

    private sealed class Owned(Sample series)
    {
        public Sample Series => series;

        public int Seen { get; set; }

        public bool Gone { get; set; }
    }

    private sealed record CacheEntry(Owned Owned, MetricFamily Family);

    private sealed record Miss(int Family, string SampleName, Label[] Labels, byte[]? Key);

    private readonly record struct Pending(Owned? Owned, int Miss, double Value);
}
