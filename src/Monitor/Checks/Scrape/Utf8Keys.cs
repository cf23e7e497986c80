using System.IO.Hashing;
using System.Text;

namespace Monitor.Checks.Scrape;

/// <summary>
/// Byte-array keys looked up by a span of the exposition (no copy, no string): the scrape cache's series text
/// and the interned names.
/// </summary>
internal sealed class Utf8KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly Utf8KeyComparer Instance = new();

    public static int Hash(ReadOnlySpan<byte> bytes) => (int)XxHash3.HashToUInt64(bytes);

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj) => Hash(obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}

/// <summary>
/// Strings for UTF-8 names that recur on every line (metric and label names, common label values): each is
/// decoded once. Bounded, so an endpoint with ever-new names cannot grow it without limit: past
/// <see cref="MaxEntries"/> it is cleared and starts over.
/// </summary>
internal sealed class Utf8Interner
{
    public const int MaxEntries = 1 << 16;

    private readonly Dictionary<byte[], string> _strings = new(Utf8KeyComparer.Instance);
    private readonly Dictionary<byte[], string>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public Utf8Interner() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<byte>>();

    public string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (_lookup.TryGetValue(utf8, out string? interned))
        {
            return interned;
        }

        if (_strings.Count >= MaxEntries)
        {
            _strings.Clear();
        }

        string decoded = Encoding.UTF8.GetString(utf8);
        _lookup[utf8] = decoded;
        return decoded;
    }
}
