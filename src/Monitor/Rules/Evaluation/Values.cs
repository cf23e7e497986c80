using System.Text;
using Monitor.Metrics;

namespace Monitor.Rules.Evaluation;

/// <summary>One sample of a series: a time (Unix milliseconds) and a value.</summary>
internal readonly record struct Point(long T, double V);

/// <summary>One element of an instant vector.</summary>
internal readonly record struct PromSample(Label[] Metric, long T, double V);

/// <summary>A series of a range result: its labels and its points in time order.</summary>
internal sealed class PromSeries(Label[] metric, List<Point> points)
{
    public Label[] Metric { get; set; } = metric;

    public List<Point> Points { get; } = points;

    /// <summary>How many leading points the step loop has consumed already.</summary>
    public int Head { get; set; }
}

/// <summary>A string result (a PromQL string literal at the top of an expression).</summary>
internal sealed record StringValue(string Value);

/// <summary>A stored series as the evaluator reads it.</summary>
internal interface ISeries
{
    Label[] Labels { get; }

    /// <summary>The last sample at or before <paramref name="t"/>.</summary>
    bool TryGetLast(long t, out long ts, out double value);

    /// <summary>Appends every sample in [<paramref name="mint"/>, <paramref name="maxt"/>], staleness markers included.</summary>
    void AppendRange(long mint, long maxt, List<Point> into);
}

/// <summary>Label-set comparisons and keys with Prometheus' meaning (labels.Compare, Hash, BytesWithLabels).</summary>
internal static class Labels
{
    public static readonly LabelsComparer Comparer = new();

    /// <summary>labels.Compare: pairwise by name then value, bytes of UTF-8 (so by code point), then by length.</summary>
    public static int Compare(Label[] a, Label[] b)
    {
        int l = Math.Min(a.Length, b.Length);
        for (int i = 0; i < l; i++)
        {
            int c = CompareStrings(a[i].Name, b[i].Name);
            if (c != 0)
            {
                return c;
            }

            c = CompareStrings(a[i].Value, b[i].Value);
            if (c != 0)
            {
                return c;
            }
        }

        return a.Length - b.Length;
    }

    /// <summary>Go's string comparison (UTF-8 bytes), which orders by code point unlike UTF-16 ordinal order.</summary>
    public static int CompareStrings(string a, string b)
    {
        int c = string.CompareOrdinal(a, b);
        if (c == 0)
        {
            return 0;
        }

        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i];
            char y = b[i];
            if (x == y)
            {
                continue;
            }

            // Surrogates (code points above U+FFFF) sort after U+E000–U+FFFF in UTF-8.
            bool xs = char.IsSurrogate(x);
            bool ys = char.IsSurrogate(y);
            if (xs != ys)
            {
                return xs ? (y >= 0xE000 ? 1 : x.CompareTo(y)) : (x >= 0xE000 ? -1 : x.CompareTo(y));
            }

            return x.CompareTo(y);
        }

        return a.Length.CompareTo(b.Length);
    }

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>This thread's builder, emptied: a key costs its string only, not a builder and its chunks.</summary>
    private static StringBuilder KeyBuilder()
    {
        var sb = t_builder ??= new StringBuilder(256);
        sb.Clear();
        return sb;
    }

    /// <summary>A key equal for equal label sets (names and values may hold anything but U+FFFE/U+FFFF).</summary>
    public static string Key(Label[] labels)
    {
        var sb = KeyBuilder();
        foreach (var label in labels)
        {
            sb.Append(label.Name).Append('\uffff').Append(label.Value).Append('\ufffe');
        }

        return sb.ToString();
    }

    /// <summary>BytesWithLabels: the key of just the named labels (<paramref name="names"/> sorted).</summary>
    public static string KeyWith(Label[] labels, IReadOnlyList<string> names)
    {
        // on(x), the common join: with one name the value alone is the key (a label with an empty value is an
        // absent label, as in Prometheus), and nothing is allocated; the value is the series' own string.
        if (names.Count <= 1)
        {
            if (names.Count == 0)
            {
                return "";
            }

            string name = names[0];
            foreach (var label in labels)
            {
                if (string.Equals(label.Name, name, StringComparison.Ordinal))
                {
                    return label.Value;
                }
            }

            return "";
        }

        var sb = KeyBuilder();
        int j = 0;
        foreach (var label in labels)
        {
            while (j < names.Count && string.CompareOrdinal(names[j], label.Name) < 0)
            {
                j++;
            }

            if (j == names.Count)
            {
                break;
            }

            if (names[j] == label.Name)
            {
                sb.Append(label.Name).Append('\uffff').Append(label.Value).Append('\ufffe');
                j++;
            }
        }

        return sb.ToString();
    }

    /// <summary>BytesWithoutLabels / HashWithoutLabels: every label but the named ones (sorted) and <c>__name__</c>.</summary>
    public static string KeyWithout(Label[] labels, IReadOnlyList<string> names)
    {
        var sb = KeyBuilder();
        int j = 0;
        foreach (var label in labels)
        {
            while (j < names.Count && string.CompareOrdinal(names[j], label.Name) < 0)
            {
                j++;
            }

            if (label.Name == LabelSet.MetricName || (j < names.Count && names[j] == label.Name))
            {
                continue;
            }

            sb.Append(label.Name).Append('\uffff').Append(label.Value).Append('\ufffe');
        }

        return sb.ToString();
    }

    /// <summary>Whether two samples have the same labels; <paramref name="scratch"/>, if given, is the (empty) set to use.</summary>
    public static bool ContainsSameLabelset(List<PromSample> vector, HashSet<Label[]>? scratch = null)
    {
        if (vector.Count < 2)
        {
            return false;
        }

        if (vector.Count == 2)
        {
            return Comparer.Equals(vector[0].Metric, vector[1].Metric);
        }

        var seen = scratch ?? new HashSet<Label[]>(vector.Count, Comparer);
        try
        {
            foreach (var s in vector)
            {
                if (!seen.Add(s.Metric))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            seen.Clear();
        }
    }

    public static bool ContainsSameLabelset(List<PromSeries> matrix)
    {
        if (matrix.Count < 2)
        {
            return false;
        }

        var seen = new HashSet<Label[]>(matrix.Count, Comparer);
        foreach (var s in matrix)
        {
            if (!seen.Add(s.Metric))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>labels.Builder: set (an empty value deletes), delete, keep; the result sorted by name.</summary>
    public sealed class Builder
    {
        private readonly List<Label> _labels;

        public Builder(Label[] labels) => _labels = [.. labels];

        public Builder Set(string name, string value)
        {
            if (value.Length == 0)
            {
                return Del(name);
            }

            for (int i = 0; i < _labels.Count; i++)
            {
                if (_labels[i].Name == name)
                {
                    _labels[i] = new Label(name, value);
                    return this;
                }
            }

            _labels.Add(new Label(name, value));
            return this;
        }

        public Builder Del(string name)
        {
            _labels.RemoveAll(l => l.Name == name);
            return this;
        }

        public Builder Del(IEnumerable<string> names)
        {
            foreach (string name in names)
            {
                Del(name);
            }

            return this;
        }

        public Builder Keep(IReadOnlyCollection<string> names)
        {
            _labels.RemoveAll(l => !names.Contains(l.Name));
            return this;
        }

        public Label[] Labels()
        {
            var result = _labels.ToArray();
            Array.Sort(result, (a, b) => CompareStrings(a.Name, b.Name));
            return result;
        }
    }
}

/// <summary>Structural equality of label arrays.</summary>
internal sealed class LabelsComparer : IEqualityComparer<Label[]>, IComparer<Label[]>
{
    public bool Equals(Label[]? x, Label[]? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.Length != y.Length)
        {
            return false;
        }

        for (int i = 0; i < x.Length; i++)
        {
            if (x[i].Name != y[i].Name || x[i].Value != y[i].Value)
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(Label[] obj)
    {
        var hash = default(HashCode);
        foreach (var label in obj)
        {
            hash.Add(label.Name, StringComparer.Ordinal);
            hash.Add(label.Value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    public int Compare(Label[]? x, Label[]? y) => Labels.Compare(x ?? [], y ?? []);
}
