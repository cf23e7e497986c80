using System.Buffers;

namespace Monitor.Metrics;

/// <summary>
/// A gauge, counter or unknown-typed series: one value. Its exposition line (<c>name{labels} value\n</c>)
/// lives in one array: the prefix is encoded once, and the formatted value is cached after it, so a scrape of
/// a value that has not changed since the last scrape is a single copy. Formatting a double is most of the
/// cost of a scrape; most values change once per check interval, while every Prometheus scrapes every 15 s.
/// </summary>
internal sealed class Sample : Series
{
    // The longest value FormatValue writes: a sign, 17 significant digits, the point and an exponent
    // ("-1.7976931348623157E+308", 24 bytes); the line also holds the newline after it.
    private const int MaxValueBytes = 24;

    private readonly byte[] _line;
    private readonly int _prefixLength;
    private double _value;

    // Cache of the formatted value, guarded by a sequence lock: odd while being rewritten.
    private int _version;
    private long _cachedBits = BitConverter.DoubleToInt64Bits(double.NaN) ^ 1; // matches no value
    private int _cachedLength;

    internal Sample(MetricFamily family, Label[] labels, string? sampleName = null)
        : base(family, labels, sampleName)
    {
        byte[] prefix = ExpositionText.EncodeSeriesPrefix(sampleName ?? family.Name, labels, null);
        _prefixLength = prefix.Length;
        _line = new byte[prefix.Length + MaxValueBytes + 1];
        prefix.CopyTo(_line, 0);
    }

    public double Value => Volatile.Read(ref _value);

    public void Set(double value) => Volatile.Write(ref _value, value);

    public void Add(double delta) => AtomicDouble.Add(ref _value, delta);

    public void Inc() => Add(1);

    internal override void Write(IBufferWriter<byte> writer)
    {
        long bits = BitConverter.DoubleToInt64Bits(Value);
        Span<byte> span = writer.GetSpan(_line.Length);

        int version = Volatile.Read(ref _version);
        if ((version & 1) == 0 && Volatile.Read(ref _cachedBits) == bits)
        {
            int length = Volatile.Read(ref _cachedLength);
            _line.AsSpan(0, length).CopyTo(span);
            Interlocked.MemoryBarrier(); // the copy must complete before the version is read again
            if (Volatile.Read(ref _version) == version)
            {
                writer.Advance(length);
                return;
            }
        }

        // Changed (or being rewritten by a concurrent scrape): format into the output, then cache it.
        _line.AsSpan(0, _prefixLength).CopyTo(span);
        int n = _prefixLength + ExpositionText.FormatValue(span[_prefixLength..], BitConverter.Int64BitsToDouble(bits));
        span[n++] = (byte)'\n';
        writer.Advance(n);

        if ((version & 1) == 0 && Interlocked.CompareExchange(ref _version, version + 1, version) == version)
        {
            span[_prefixLength..n].CopyTo(_line.AsSpan(_prefixLength));
            Volatile.Write(ref _cachedLength, n);
            Volatile.Write(ref _cachedBits, bits);
            Volatile.Write(ref _version, version + 2);
        }
    }
}
