using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>
/// Finds the series a selector matches without looking at every series of its metric: by metric name, then by
/// the most selective equality matcher through a per-name posting list (label → value → series) built when
/// first asked for and rebuilt only when the name's series change — which, for a monitor's own series, is
/// rare. The other matchers filter what is left.
/// </summary>
internal sealed class SeriesIndex<T>
    where T : class, ISeries
{
    private readonly Dictionary<string, Family> _byName = new(StringComparer.Ordinal);

    private sealed class Family
    {
        public HashSet<T> Set { get; } = new(ReferenceEqualityComparer.Instance);

        public List<T>? List { get; set; }

        public Dictionary<string, Dictionary<string, List<T>>> Postings { get; } = new(StringComparer.Ordinal);

        public List<T> Members => List ??= [.. Set];

        public void Changed()
        {
            List = null;
            Postings.Clear();
        }
    }

    public int Count { get; private set; }

    public IEnumerable<T> All => _byName.Values.SelectMany(f => f.Set);

    public void Add(T series)
    {
        string name = LabelSet.Get(series.Labels, LabelSet.MetricName);
        if (!_byName.TryGetValue(name, out var family))
        {
            family = _byName[name] = new Family();
        }

        if (family.Set.Add(series))
        {
            family.Changed();
            Count++;
        }
    }

    public void Remove(T series)
    {
        string name = LabelSet.Get(series.Labels, LabelSet.MetricName);
        if (_byName.TryGetValue(name, out var family) && family.Set.Remove(series))
        {
            family.Changed();
            Count--;
            if (family.Set.Count == 0)
            {
                _byName.Remove(name);
            }
        }
    }

    /// <summary>
    /// The series every matcher matches. Where the lookup alone meets every matcher (the name, and at most one
    /// label by equality), the answer is the index's own list, not a copy: those lists are only ever replaced.
    /// </summary>
    public IReadOnlyList<T> Select(IReadOnlyList<LabelMatcher> matchers)
    {
        var result = new List<T>();
        if (SeriesSelection.MetricName(matchers) is not { } name)
        {
            foreach (var family in _byName.Values)
            {
                Filter(family.Members, matchers, result);
            }

            return result;
        }

        if (!_byName.TryGetValue(name, out var named))
        {
            return result;
        }

        List<T> candidates = named.Members;
        LabelMatcher? used = null;
        foreach (var m in matchers)
        {
            if (m.Type != MatcherType.Equal || m.Name == LabelSet.MetricName || m.Value.Length == 0)
            {
                continue;
            }

            var posting = Postings(named, m.Name).GetValueOrDefault(m.Value);
            if (posting is null)
            {
                return result;
            }

            if (posting.Count < candidates.Count)
            {
                candidates = posting;
                used = m;
            }
        }

        bool met = true;
        foreach (var m in matchers)
        {
            if (!ReferenceEquals(m, used) && !(m.Type == MatcherType.Equal && m.Name == LabelSet.MetricName && m.Value == name))
            {
                met = false;
                break;
            }
        }

        if (met)
        {
            return candidates;
        }

        Filter(candidates, matchers, result);
        return result;
    }

    private static Dictionary<string, List<T>> Postings(Family family, string label)
    {
        if (!family.Postings.TryGetValue(label, out var byValue))
        {
            byValue = new Dictionary<string, List<T>>(StringComparer.Ordinal);
            foreach (var series in family.Members)
            {
                string value = LabelSet.Get(series.Labels, label);
                if (value.Length == 0)
                {
                    continue;
                }

                if (!byValue.TryGetValue(value, out var list))
                {
                    list = byValue[value] = [];
                }

                list.Add(series);
            }

            family.Postings[label] = byValue;
        }

        return byValue;
    }

    private static void Filter(List<T> candidates, IReadOnlyList<LabelMatcher> matchers, List<T> into)
    {
        foreach (var series in candidates)
        {
            bool all = true;
            foreach (var m in matchers)
            {
                if (!m.Matches(LabelSet.Get(series.Labels, m.Name)))
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                into.Add(series);
            }
        }
    }
}
