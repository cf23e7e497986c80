using System.Buffers.Binary;
using Monitor.Metrics;

namespace Monitor.Rules.Evaluation;

/// <summary>
/// A series with its samples in time order, kept compactly: chunks of up to <see cref="ChunkSize"/> samples, each
/// timestamp stored as the zigzag varint of its delta-of-delta (one byte while the interval holds) and each value
/// as its XOR with the previous one without the zero bytes around it (one byte when unchanged). A regular
/// gauge or counter costs 2–5 bytes a sample instead of 16; old chunks are dropped whole.
/// </summary>
internal sealed class StoredSeries(Label[] labels) : ISeries
{
    /// <summary>Prometheus' staleness marker: a NaN with this exact bit pattern.</summary>
    public const long StaleNaNBits = 0x7ff0000000000002;

    public const int ChunkSize = 120;

    private readonly List<Chunk> _chunks = [];

    public Label[] Labels { get; } = labels;

    public static double StaleNaN => BitConverter.Int64BitsToDouble(StaleNaNBits);

    public static bool IsStale(double value) => BitConverter.DoubleToInt64Bits(value) == StaleNaNBits;

    /// <summary>Samples held.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var chunk in _chunks)
            {
                n += chunk.Count;
            }

            return n;
        }
    }

    /// <summary>Bytes the samples take (chunk payloads and their headers).</summary>
    public long Bytes
    {
        get
        {
            long n = 0;
            foreach (var chunk in _chunks)
            {
                n += chunk.Capacity + 48;
            }

            return n;
        }
    }

    /// <summary>Set when the storage let the series go (a cached reference must not be written to).</summary>
    public bool Removed { get; set; }

    public long? LastTime => _chunks.Count == 0 ? null : _chunks[^1].MaxT;

    /// <summary>Appends a sample; one at or before the last sample's time is ignored (history only moves forward).</summary>
    public void Add(long time, double value)
    {
        if (_chunks.Count > 0 && time <= _chunks[^1].MaxT)
        {
            return;
        }

        if (_chunks.Count == 0 || _chunks[^1].Count >= ChunkSize)
        {
            if (_chunks.Count > 0)
            {
                _chunks[^1].Seal();
            }

            _chunks.Add(new Chunk());
        }

        _chunks[^1].Append(time, value);
    }

    /// <summary>Drops the chunks whose samples are all older than <paramref name="oldest"/>.</summary>
    public void Trim(long oldest)
    {
        int drop = 0;
        while (drop < _chunks.Count && _chunks[drop].MaxT < oldest)
        {
            drop++;
        }

        if (drop > 0)
        {
            _chunks.RemoveRange(0, drop);
        }
    }

    public bool TryGetLast(long t, out long ts, out double value)
    {
        // The last chunk starting at or before t holds the answer, or (if it starts after t) the one before.
        int lo = 0;
        int hi = _chunks.Count - 1;
        int found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_chunks[mid].MinT <= t)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        if (found < 0)
        {
            ts = 0;
            value = 0;
            return false;
        }

        return _chunks[found].TryGetLast(t, out ts, out value);
    }

    public void AppendRange(long mint, long maxt, List<Point> into)
    {
        foreach (var chunk in _chunks)
        {
            if (chunk.MaxT < mint)
            {
                continue;
            }

            if (chunk.MinT > maxt)
            {
                break;
            }

            chunk.AppendRange(mint, maxt, into);
        }
    }

    /// <summary>Every sample, oldest first.</summary>
    public List<Point> All()
    {
        var points = new List<Point>();
        AppendRange(long.MinValue, long.MaxValue, points);
        return points;
    }

    private sealed class Chunk
    {
        private byte[] _data = new byte[32];
        private int _length;
        private long _prevT;
        private long _prevDelta;
        private long _prevBits;

        public int Count { get; private set; }

        public long MinT { get; private set; }

        public long MaxT { get; private set; }

        public int Capacity => _data.Length;

        public void Seal()
        {
            if (_data.Length != _length)
            {
                Array.Resize(ref _data, _length);
            }
        }

        public void Append(long t, double v)
        {
            long bits = BitConverter.DoubleToInt64Bits(v);
            if (Count == 0)
            {
                Ensure(16);
                BinaryPrimitives.WriteInt64LittleEndian(_data.AsSpan(_length), t);
                BinaryPrimitives.WriteInt64LittleEndian(_data.AsSpan(_length + 8), bits);
                _length += 16;
                MinT = t;
                _prevDelta = 0;
            }
            else
            {
                long delta = t - _prevT;
                ulong dod = ZigZag(delta - _prevDelta);
                long xor = bits ^ _prevBits;
                // Exactly what this sample takes: growing only for that keeps the open chunk's slack small.
                Ensure(VarintLength(dod) + ValueLength(xor));
                WriteVarint(dod);
                _prevDelta = delta;
                WriteValue(xor);
            }

            _prevT = t;
            _prevBits = bits;
            MaxT = t;
            Count++;
        }

        private void Ensure(int more)
        {
            if (_length + more > _data.Length)
            {
                // By half again, not double: the open chunk of every series carries the slack, and a series
                // that keeps ~60 samples never seals one (doubling left it a quarter empty on average).
                Array.Resize(ref _data, Math.Max(_data.Length + (_data.Length >> 1), _length + more));
            }
        }

        private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

        private static int VarintLength(ulong v) => (64 - System.Numerics.BitOperations.LeadingZeroCount(v | 1) + 6) / 7;

        /// <summary>The bytes <see cref="WriteValue"/> writes for <paramref name="xor"/>.</summary>
        private static int ValueLength(long xor)
        {
            if (xor == 0)
            {
                return 1;
            }

            ulong x = (ulong)xor;
            int lead = Math.Min(System.Numerics.BitOperations.LeadingZeroCount(x) / 8, 7);
            int trail = Math.Min(System.Numerics.BitOperations.TrailingZeroCount(x) / 8, 7 - lead);
            return 1 + (8 - lead - trail);
        }

        private static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

        private void WriteVarint(ulong v)
        {
            while (v >= 0x80)
            {
                _data[_length++] = (byte)(v | 0x80);
                v >>= 7;
            }

            _data[_length++] = (byte)v;
        }

        // 0x00: the same value; else 0x80 | leading zero bytes << 3 | trailing zero bytes, then the bytes between.
        private void WriteValue(long xor)
        {
            if (xor == 0)
            {
                _data[_length++] = 0;
                return;
            }

            ulong x = (ulong)xor;
            int lead = System.Numerics.BitOperations.LeadingZeroCount(x) / 8;
            int trail = System.Numerics.BitOperations.TrailingZeroCount(x) / 8;
            lead = Math.Min(lead, 7);
            trail = Math.Min(trail, 7 - lead);
            _data[_length++] = (byte)(0x80 | (lead << 3) | trail);
            for (int i = 7 - lead; i >= trail; i--)
            {
                _data[_length++] = (byte)(x >> (i * 8));
            }
        }

        private struct Reader(Chunk chunk)
        {
            private int _pos;
            private int _index;
            private long _t;
            private long _delta;
            private long _bits;

            public readonly long T => _t;

            public readonly double V => BitConverter.Int64BitsToDouble(_bits);

            public bool Next()
            {
                var data = chunk._data;
                if (_index >= chunk.Count)
                {
                    return false;
                }

                if (_index == 0)
                {
                    _t = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(0));
                    _bits = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8));
                    _pos = 16;
                }
                else
                {
                    ulong raw = 0;
                    int shift = 0;
                    byte b;
                    do
                    {
                        b = data[_pos++];
                        raw |= (ulong)(b & 0x7f) << shift;
                        shift += 7;
                    }
                    while (b >= 0x80);
                    _delta += UnZigZag(raw);
                    _t += _delta;
                    byte control = data[_pos++];
                    if (control != 0)
                    {
                        int lead = (control >> 3) & 7;
                        int trail = control & 7;
                        ulong x = 0;
                        for (int i = 7 - lead; i >= trail; i--)
                        {
                            x |= (ulong)data[_pos++] << (i * 8);
                        }

                        _bits ^= (long)x;
                    }
                }

                _index++;
                return true;
            }
        }

        public bool TryGetLast(long t, out long ts, out double value)
        {
            if (Count > 0 && t >= MaxT)
            {
                // The newest sample is kept decoded: instant selectors at "now" need nothing else.
                ts = MaxT;
                value = BitConverter.Int64BitsToDouble(_prevBits);
                return true;
            }

            var reader = new Reader(this);
            bool any = false;
            ts = 0;
            value = 0;
            while (reader.Next() && reader.T <= t)
            {
                ts = reader.T;
                value = reader.V;
                any = true;
            }

            return any;
        }

        public void AppendRange(long mint, long maxt, List<Point> into)
        {
            var reader = new Reader(this);
            while (reader.Next())
            {
                if (reader.T > maxt)
                {
                    break;
                }

                if (reader.T >= mint)
                {
                    into.Add(new Point(reader.T, reader.V));
                }
            }
        }
    }
}
