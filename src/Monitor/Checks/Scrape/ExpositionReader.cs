using System.Buffers;
using System.Globalization;
using System.Text;
using Monitor.Metrics;

namespace Monitor.Checks.Scrape;

/// <summary>What <see cref="ExpositionReader"/> hands on: families in order of their first sample, then each sample.</summary>
internal interface IExpositionSink
{
    /// <summary>A family's first sample was read; families are numbered from 0 in the order of these calls.</summary>
    void Family(string name, MetricType type, string help);

    /// <summary>A sample of family <paramref name="family"/> (OpenMetrics <c>_created</c> samples are not handed on).</summary>
    void Sample(int family, ref LexedSample sample);
}

/// <summary>Where a label's name and (still escaped) value lie in the line.</summary>
internal readonly record struct LabelSpan(int NameStart, int NameLength, int ValueStart, int ValueLength, bool Escaped);

/// <summary>
/// One sample line as the reader found it, valid only during <see cref="IExpositionSink.Sample"/>: nothing is
/// decoded until the sink asks (<see cref="MaterializeLabels"/>), so a sink that already knows the series by its
/// text (<see cref="Series"/>) decodes nothing at all.
/// </summary>
internal ref struct LexedSample
{
    /// <summary>The line, without its line break.</summary>
    public ReadOnlySpan<byte> Line;

    /// <summary>The length of the metric name and label set at the start of <see cref="Line"/>; 0 for a line the string fallback read.</summary>
    public int SeriesLength;

    public ReadOnlySpan<LabelSpan> Labels;

    /// <summary>The sample name (<c>x_bucket</c>), interned.</summary>
    public string Name;

    public double Value;

    /// <summary>The labels, already decoded, of a line the string fallback read.</summary>
    public Label[]? Parsed;

    /// <summary>The name and label set exactly as the endpoint wrote them: the same bytes always mean the same series.</summary>
    public readonly ReadOnlySpan<byte> Series => Line[..SeriesLength];

    /// <summary>Whether <see cref="Series"/> identifies the series (false for a line the string fallback read).</summary>
    public readonly bool HasSeriesText => Parsed is null;

    /// <summary>The labels in exposition order: names always interned, values interned when <paramref name="values"/> is given.</summary>
    public readonly Label[] MaterializeLabels(Utf8Interner names, Utf8Interner? values)
    {
        if (Parsed is not null)
        {
            return Parsed;
        }

        if (Labels.IsEmpty)
        {
            return [];
        }

        var result = new Label[Labels.Length];
        for (int k = 0; k < Labels.Length; k++)
        {
            var span = Labels[k];
            string name = names.Intern(Line.Slice(span.NameStart, span.NameLength));
            var raw = Line.Slice(span.ValueStart, span.ValueLength);
            string value = span.Escaped ? UnescapeValue(raw)
                : values is not null ? values.Intern(raw)
                : raw.IsEmpty ? string.Empty : Encoding.UTF8.GetString(raw);
            result[k] = new Label(name, value);
        }

        return result;
    }

    /// <summary>A label value's escapes (<c>\\ \" \n</c>, all the lexer accepts) undone; escapes are ASCII, so undoing them on bytes is undoing them on text.</summary>
    private static string UnescapeValue(ReadOnlySpan<byte> raw)
    {
        byte[]? rented = null;
        Span<byte> buffer = raw.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (b == (byte)'\\')
            {
                b = raw[++i] == (byte)'n' ? (byte)'\n' : raw[i];
            }

            buffer[n++] = b;
        }

        string value = Encoding.UTF8.GetString(buffer[..n]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return value;
    }
}

/// <summary>
/// The exposition parser over UTF-8 bytes: one pass, no string per line. Sample lines go through a span lexer;
/// any line it does not accept as it stands (a malformed one, or one only the lenient corners of the grammar
/// allow) is read by <see cref="ExpositionParser.ParseSample"/> from its string, which names the error's line and
/// column exactly as it always did. Comment lines (one or two per family) are read from their strings too.
/// An instance keeps its buffers and interned names from one read to the next (one per scrape check).
/// </summary>
internal sealed class ExpositionReader
{
    private static readonly SearchValues<byte> MetricNameBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:"u8);
    private static readonly SearchValues<byte> LabelNameBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"u8);
    private static readonly SearchValues<byte> QuoteOrBackslash = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> SpaceOrTab = SearchValues.Create(" \t"u8);
    private static readonly SearchValues<byte> NumberBytes = SearchValues.Create("0123456789+-.eE"u8);

    private readonly Dictionary<string, (MetricType Type, string Help, string RawType)> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private LabelSpan[] _labels = new LabelSpan[16];

    /// <summary>Every sample line read by the string fallback: what the lexer is tested against.</summary>
    internal bool LexerDisabled { get; init; }

    /// <summary>Metric and label names seen, decoded once.</summary>
    public Utf8Interner Names { get; } = new();

    public void Read(ReadOnlySpan<byte> text, bool openMetrics, IExpositionSink sink)
    {
        _declared.Clear();
        _byName.Clear();
        bool sawEof = false;
        int lineNumber = 0;
        int pos = 0;

        // The family of the previous sample name: lines of one family follow each other, so most lines need no lookup.
        ReadOnlySpan<byte> lastName = default;
        string lastNameString = string.Empty;
        int lastFamily = -1;
        bool lastSkipped = false;
        bool remembered = false;

        while (true)
        {
            lineNumber++;
            int newline = text[pos..].IndexOf((byte)'\n');
            bool last = newline < 0;
            var raw = last ? text[pos..] : text.Slice(pos, newline);
            pos += newline + 1;
            if (raw.Length > ExpositionParser.MaxLineLength && Encoding.UTF8.GetCharCount(raw) > ExpositionParser.MaxLineLength)
            {
                throw new ExpositionParseException(lineNumber, ExpositionParser.MaxLineLength + 1, $"line longer than {ExpositionParser.MaxLineLength} characters");
            }

            var line = !raw.IsEmpty && raw[^1] == (byte)'\r' ? raw[..^1] : raw;
            if (sawEof)
            {
                if (!(last && line.IsEmpty))
                {
                    throw new ExpositionParseException(lineNumber, 1, "content after # EOF");
                }
            }
            else if (line.IsEmpty || (!openMetrics && IsBlank(line)))
            {
                if (openMetrics && !last)
                {
                    throw new ExpositionParseException(lineNumber, 1, "empty line (not allowed in OpenMetrics)");
                }
            }
            else if (line[0] == (byte)'#')
            {
                if (line.SequenceEqual("# EOF"u8))
                {
                    sawEof = true;
                }
                else
                {
                    ExpositionParser.ParseComment(Encoding.UTF8.GetString(line), lineNumber, openMetrics, _declared);
                    remembered = false; // what a sample name belongs to may have changed
                }
            }
            else
            {
                var sample = new LexedSample { Line = line };
                if (!LexerDisabled && Lex(line, openMetrics, ref sample, out int nameLength))
                {
                    var name = line[..nameLength];
                    if (!remembered || !name.SequenceEqual(lastName))
                    {
                        lastName = name;
                        lastNameString = Names.Intern(name);
                        (lastFamily, lastSkipped) = Resolve(lastNameString, openMetrics, sink);
                        remembered = true;
                    }

                    sample.Name = lastNameString;
                }
                else
                {
                    var parsed = ExpositionParser.ParseSample(Encoding.UTF8.GetString(line), lineNumber, openMetrics);
                    sample = new LexedSample { Line = line, Name = parsed.Name, Parsed = parsed.Labels, Value = parsed.Value };
                    (lastFamily, lastSkipped) = Resolve(parsed.Name, openMetrics, sink);
                    remembered = false;
                }

                if (!lastSkipped)
                {
                    sink.Sample(lastFamily, ref sample);
                }
            }

            if (last)
            {
                break;
            }
        }

        if (openMetrics && !sawEof)
        {
            throw new ExpositionParseException(lineNumber, 1, "missing # EOF");
        }
    }

    /// <summary>The family a sample name belongs to (announced to the sink when new), and whether it is an OpenMetrics <c>_created</c> sample, which is skipped.</summary>
    private (int Family, bool Skipped) Resolve(string name, bool openMetrics, IExpositionSink sink)
    {
        string family = ExpositionParser.FamilyOf(name, _declared, openMetrics);
        if (!_byName.TryGetValue(family, out int index))
        {
            var (type, help, _) = _declared.GetValueOrDefault(family, (MetricType.Unknown, string.Empty, "untyped"));
            string storeName = type == MetricType.Counter && openMetrics ? family + "_total" : family;
            index = _byName.Count;
            _byName[family] = index;
            sink.Family(storeName, type, help);
        }

        return (index, openMetrics && name.EndsWith("_created", StringComparison.Ordinal) && name != family);
    }

    /// <summary>A line of only (Unicode) white space, skipped in text 0.0.4; decoded only when it does not start like a sample or comment.</summary>
    private static bool IsBlank(ReadOnlySpan<byte> line) =>
        !(MetricNameBytes.Contains(line[0]) || line[0] == (byte)'#') && Encoding.UTF8.GetString(line).AsSpan().Trim().IsEmpty;

    /// <summary>
    /// The lexer: true with the sample's labels and value for a line in the plain grammar; false for anything
    /// else, which the string fallback then reads (and rejects, naming line and column, or accepts).
    /// </summary>
    private bool Lex(ReadOnlySpan<byte> line, bool openMetrics, ref LexedSample sample, out int nameLength)
    {
        nameLength = line.IndexOfAnyExcept(MetricNameBytes);
        if (nameLength < 0)
        {
            nameLength = line.Length;
        }

        if (nameLength == 0 || char.IsAsciiDigit((char)line[0]))
        {
            return false;
        }

        int i = nameLength;
        int count = 0;
        if (i < line.Length && line[i] == (byte)'{')
        {
            i++;
            while (true)
            {
                i = SkipSpaces(line, i, openMetrics);
                if (i >= line.Length)
                {
                    return false;
                }

                if (line[i] == (byte)'}')
                {
                    i++;
                    break;
                }

                int nameStart = i;
                int length = line[i..].IndexOfAnyExcept(LabelNameBytes);
                if (length <= 0 || char.IsAsciiDigit((char)line[nameStart]))
                {
                    return false;
                }

                i += length;
                var labelName = line.Slice(nameStart, length);
                for (int k = 0; k < count; k++)
                {
                    if (line.Slice(_labels[k].NameStart, _labels[k].NameLength).SequenceEqual(labelName))
                    {
                        return false; // a duplicate
                    }
                }

                i = SkipSpaces(line, i, openMetrics);
                if (i >= line.Length || line[i] != (byte)'=')
                {
                    return false;
                }

                i = SkipSpaces(line, i + 1, openMetrics);
                if (i >= line.Length || line[i] != (byte)'"')
                {
                    return false;
                }

                int valueStart = ++i;
                bool escaped = false;
                while (true)
                {
                    int next = line[i..].IndexOfAny(QuoteOrBackslash);
                    if (next < 0)
                    {
                        return false;
                    }

                    i += next;
                    if (line[i] == (byte)'"')
                    {
                        break;
                    }

                    if (i + 1 >= line.Length || line[i + 1] is not ((byte)'\\' or (byte)'"' or (byte)'n'))
                    {
                        return false;
                    }

                    escaped = true;
                    i += 2;
                }

                if (count == _labels.Length)
                {
                    Array.Resize(ref _labels, count * 2);
                }

                _labels[count++] = new LabelSpan(nameStart, length, valueStart, i - valueStart, escaped);
                i = SkipSpaces(line, i + 1, openMetrics);
                if (i < line.Length && line[i] == (byte)',')
                {
                    i++;
                    continue;
                }

                if (i >= line.Length || line[i] != (byte)'}')
                {
                    return false;
                }

                i++;
                break;
            }
        }

        sample.SeriesLength = i;
        if (i >= line.Length || line[i] is not ((byte)' ' or (byte)'\t'))
        {
            return false;
        }

        i = SkipSpaces(line, i, openMetrics: false);
        int valueLength = line[i..].IndexOfAny(SpaceOrTab);
        if (valueLength < 0)
        {
            valueLength = line.Length - i;
        }

        if (!TryParseValue(line.Slice(i, valueLength), out sample.Value))
        {
            return false;
        }

        i += valueLength;
        if (i < line.Length && !TimestampAccepted(line[i..], openMetrics))
        {
            return false;
        }

        sample.Labels = _labels.AsSpan(0, count);
        return true;
    }

    /// <summary>
    /// What follows the value: an optional timestamp, and in OpenMetrics an exemplar after <c>#</c> (not read).
    /// Only plain ASCII is judged here; anything else goes to the string fallback, which trims Unicode spaces.
    /// </summary>
    private static bool TimestampAccepted(ReadOnlySpan<byte> rest, bool openMetrics)
    {
        int hash = rest.IndexOf((byte)'#');
        if (hash >= 0)
        {
            if (!openMetrics)
            {
                return false;
            }

            rest = rest[..hash];
        }

        rest = rest.Trim(" \t"u8);
        if (rest.IsEmpty)
        {
            return true;
        }

        foreach (byte b in rest)
        {
            if (b is < 0x20 or >= 0x7f)
            {
                return false;
            }
        }

        return double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    private static int SkipSpaces(ReadOnlySpan<byte> line, int i, bool openMetrics)
    {
        if (openMetrics)
        {
            return i;
        }

        while (i < line.Length && line[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    private static bool TryParseValue(ReadOnlySpan<byte> text, out double value)
    {
        if (text.SequenceEqual("NaN"u8))
        {
            value = double.NaN;
            return true;
        }

        if (text.SequenceEqual("+Inf"u8) || text.SequenceEqual("Inf"u8))
        {
            value = double.PositiveInfinity;
            return true;
        }

        if (text.SequenceEqual("-Inf"u8))
        {
            value = double.NegativeInfinity;
            return true;
        }

        // Decimal and exponent notation only, as the string parser: no "Infinity", no thousands separators.
        value = 0;
        return !text.IsEmpty && text.IndexOfAnyExcept(NumberBytes) < 0
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
