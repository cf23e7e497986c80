namespace Monitor.Metrics;

/// <summary>What names a series within its family: its sample name (null for the family's own) and its labels, in any order.</summary>
internal readonly record struct SeriesIdentity(string? SampleName, Label[] Labels);

/// <summary>
/// Compares series by <see cref="SeriesIdentity"/>: the same sample name and the same labels, whatever their
/// order. A family's index holds the series themselves, so no key string is kept per series (one per series
/// was most of the strings of 10,000 checks), and a lookup by labels builds nothing.
/// </summary>
internal sealed class SeriesIdentityComparer : IEqualityComparer<Series>, IAlternateEqualityComparer<SeriesIdentity, Series>
{
    public static readonly SeriesIdentityComparer Instance = new();

    private SeriesIdentityComparer()
    {
    }

    public bool Equals(Series? x, Series? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && Same(x.SampleName, x.Labels, y.SampleName, y.Labels));

    public int GetHashCode(Series obj) => Hash(obj.SampleName, obj.Labels);

    public bool Equals(SeriesIdentity alternate, Series other) => Same(alternate.SampleName, alternate.Labels, other.SampleName, other.Labels);

    public int GetHashCode(SeriesIdentity alternate) => Hash(alternate.SampleName, alternate.Labels);

    public Series Create(SeriesIdentity alternate) => throw new NotSupportedException("a series is added as itself, not made from its identity");

    /// <summary>Order-independent: a sum of each label's hash.</summary>
    private static int Hash(string? sampleName, Label[] labels)
    {
        int hash = sampleName is null ? labels.Length : HashCode.Combine(sampleName, labels.Length);
        foreach (var label in labels)
        {
            hash += HashCode.Combine(label.Name, label.Value);
        }

        return hash;
    }

    private static bool Same(string? nameA, Label[] a, string? nameB, Label[] b)
    {
        if (a.Length != b.Length || !string.Equals(nameA, nameB, StringComparison.Ordinal))
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            // The same order is the usual case (a check's labels are merged the same way every time).
            if (a[i] == b[i])
            {
                continue;
            }

            if (!Contains(b, a[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Contains(Label[] labels, Label label)
    {
        foreach (var candidate in labels)
        {
            if (candidate == label)
            {
                return true;
            }
        }

        return false;
    }
}
