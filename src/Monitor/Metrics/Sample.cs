using System.Buffers;

namespace Monitor.Metrics;

/// <summary>A gauge, counter or unknown-typed series: one value.</summary>
internal sealed class Sample : Series
{
    private readonly byte[] _prefix;
    private double _value;

    internal Sample(MetricFamily family, Label[] labels, string key)
        : base(family, labels, key)
    {
        _prefix = ExpositionText.EncodeSeriesPrefix(family.Name, labels, null);
    }

    public double Value => Volatile.Read(ref _value);

    public void Set(double value) => Volatile.Write(ref _value, value);

    public void Add(double delta)
    {
        double current = Volatile.Read(ref _value);
        while (true)
        {
            double seen = Interlocked.CompareExchange(ref _value, current + delta, current);
            if (seen.Equals(current))
            {
                return;
            }

            current = seen;
        }
    }

    public void Inc() => Add(1);

    internal override void Write(IBufferWriter<byte> writer)
    {
        ExpositionText.WriteLine(writer, _prefix, Value);
    }
}
