using System.Buffers;
using System.Globalization;
using System.Text;

namespace Monitor.Metrics;

/// <summary>Encoding rules shared by text 0.0.4 and OpenMetrics 1.0.0 (docs/metrics.md, Exposition).</summary>
internal static class ExpositionText
{
    private static readonly byte[] NaN = "NaN"u8.ToArray();
    private static readonly byte[] PosInf = "+Inf"u8.ToArray();
    private static readonly byte[] NegInf = "-Inf"u8.ToArray();

    /// <summary>Encodes <c>name{l="v",...} </c> (with the trailing space) once per series.</summary>
    public static byte[] EncodeSeriesPrefix(string name, Label[] labels, Label? extra)
    {
        var sb = new StringBuilder(name.Length + 16 + (labels.Length * 24));
        sb.Append(name);
        if (labels.Length > 0 || extra is not null)
        {
            sb.Append('{');
            bool first = true;
            foreach (var label in labels)
            {
                AppendLabel(sb, label, ref first);
            }

            if (extra is { } e)
            {
                AppendLabel(sb, e, ref first);
            }

            sb.Append('}');
        }

        sb.Append(' ');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static void AppendLabel(StringBuilder sb, Label label, ref bool first)
    {
        if (!first)
        {
            sb.Append(',');
        }

        first = false;
        sb.Append(label.Name).Append("=\"");
        AppendEscapedLabelValue(sb, label.Value);
        sb.Append('"');
    }

    /// <summary>Label values escape backslash, double quote and line feed, in both formats.</summary>
    public static void AppendEscapedLabelValue(StringBuilder sb, string value)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                default: sb.Append(c); break;
            }
        }
    }

    /// <summary>HELP text escapes backslash and line feed; OpenMetrics also escapes the double quote.</summary>
    public static string EscapeHelp(string help, ExpositionFormat format)
    {
        var sb = new StringBuilder(help.Length + 8);
        foreach (char c in help)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '"' when format == ExpositionFormat.OpenMetrics100: sb.Append("\\\""); break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Bucket bounds are written in OpenMetrics' canonical form (<c>1.0</c>, not <c>1</c>) in both formats, so
    /// a Prometheus that scrapes either format stores the same <c>le</c> series.
    /// </summary>
    public static string FormatBound(double bound)
    {
        if (double.IsPositiveInfinity(bound))
        {
            return "+Inf";
        }

        string s = bound.ToString("R", CultureInfo.InvariantCulture);
        return s.AsSpan().IndexOfAny('.', 'E') < 0 && !double.IsNaN(bound) && !double.IsInfinity(bound) ? s + ".0" : s;
    }

    public static void WriteLine(IBufferWriter<byte> writer, byte[] prefix, double value)
    {
        Span<byte> span = writer.GetSpan(prefix.Length + 33);
        prefix.CopyTo(span);
        int n = prefix.Length;
        n += FormatValue(span[n..], value);
        span[n++] = (byte)'\n';
        writer.Advance(n);
    }

    public static void WriteLine(IBufferWriter<byte> writer, byte[] prefix, long value)
    {
        Span<byte> span = writer.GetSpan(prefix.Length + 21);
        prefix.CopyTo(span);
        int n = prefix.Length;
        value.TryFormat(span[n..], out int written, default, CultureInfo.InvariantCulture);
        n += written;
        span[n++] = (byte)'\n';
        writer.Advance(n);
    }

    /// <summary>Writes a value as Prometheus expects: <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>, else the shortest round-trip form.</summary>
    public static int FormatValue(Span<byte> destination, double value)
    {
        if (double.IsNaN(value))
        {
            NaN.CopyTo(destination);
            return NaN.Length;
        }

        if (double.IsInfinity(value))
        {
            byte[] inf = value > 0 ? PosInf : NegInf;
            inf.CopyTo(destination);
            return inf.Length;
        }

        // Integral values (counts, status codes, byte sizes) take the fast integer path.
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            ((long)value).TryFormat(destination, out int w, default, CultureInfo.InvariantCulture);
            return w;
        }

        value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture);
        return written;
    }

    public static void WriteRaw(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        Span<byte> span = writer.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        writer.Advance(bytes.Length);
    }
}
