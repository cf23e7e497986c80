using System.Globalization;
using System.Text;
using Monitor.Metrics;

namespace Monitor.Checks.Scrape;

/// <summary>
/// A strict parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.0 (as Prometheus' own parsers
/// read them): HELP/TYPE metadata, samples with escaped label values, optional timestamps (ignored: Monitor
/// re-exposes the current value), OpenMetrics exemplars (skipped) and the mandatory <c># EOF</c>. Anything
/// malformed throws <see cref="ExpositionParseException"/> naming the line and column — and nothing else.
/// </summary>
internal static class ExpositionParser
{
    private static readonly System.Buffers.SearchValues<char> NumberChars = System.Buffers.SearchValues.Create("0123456789+-.eE");

    /// <summary>The longest line accepted (1 MiB of characters): no real series or HELP text comes near it.</summary>
    public const int MaxLineLength = 1 << 20;

    private static readonly string[] FamilySuffixes = ["_bucket", "_sum", "_count", "_total", "_created", "_info", "_gsum", "_gcount"];

    /// <summary>Parses exposition text (tests, kubelet): the string is read as its UTF-8 bytes, as a scrape reads them.</summary>
    public static List<ParsedFamily> Parse(string text, bool openMetrics) => Parse(Encoding.UTF8.GetBytes(text), openMetrics);

    /// <summary>Parses UTF-8 exposition bytes into families with their samples' names, labels and values.</summary>
    public static List<ParsedFamily> Parse(ReadOnlySpan<byte> utf8, bool openMetrics, bool lexerDisabled = false)
    {
        var reader = new ExpositionReader { LexerDisabled = lexerDisabled };
        var sink = new ListSink(reader.Names);
        reader.Read(utf8, openMetrics, sink);
        return sink.Families;
    }

    /// <summary>Collects what <see cref="ExpositionReader"/> reads as <see cref="ParsedFamily"/> lists; label values are shared where they repeat.</summary>
    private sealed class ListSink(Utf8Interner names) : IExpositionSink
    {
        private readonly Utf8Interner _values = new();

        public List<ParsedFamily> Families { get; } = [];

        public void Family(string name, MetricType type, string help) => Families.Add(new ParsedFamily(name, type, help, []));

        public void Sample(int family, ref LexedSample sample) =>
            Families[family].Samples.Add(new ParsedSample(sample.Name, sample.MaterializeLabels(names, _values), sample.Value));
    }

    /// <summary>A comment line (rare: one or two per family), read as a string exactly as before the byte reader.</summary>
    internal static void ParseComment(string line, int lineNumber, bool openMetrics, Dictionary<string, (MetricType, string, string)> declared)
    {
        var parts = line.Split(' ', 4);
        if (parts.Length < 3 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE" or "UNIT"))
        {
            if (openMetrics)
            {
                throw new ExpositionParseException(lineNumber, 1, "unknown comment (OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF)");
            }

            return; // a plain comment in text 0.0.4
        }

        string name = parts[2];
        if (!IsMetricName(name))
        {
            throw new ExpositionParseException(lineNumber, 8, $"invalid metric name \"{name}\"");
        }

        declared.TryGetValue(name, out var current);
        switch (parts[1])
        {
            case "HELP":
                declared[name] = (current.Item1, Unescape(parts.Length > 3 ? parts[3] : string.Empty, lineNumber, openMetrics, help: true), current.Item3 ?? "untyped");
                break;
            case "TYPE":
                string raw = parts.Length > 3 ? parts[3].Trim() : string.Empty;
                var type = raw switch
                {
                    "counter" => MetricType.Counter,
                    "gauge" => MetricType.Gauge,
                    "histogram" => MetricType.Histogram,
                    "summary" => MetricType.Summary,
                    "untyped" when !openMetrics => MetricType.Unknown,
                    "unknown" or "info" or "stateset" or "gaugehistogram" when openMetrics => raw == "info" || raw == "stateset" ? MetricType.Gauge : MetricType.Unknown,
                    _ => throw new ExpositionParseException(lineNumber, 8 + name.Length, $"invalid metric type \"{raw}\""),
                };
                declared[name] = (type, current.Item2 ?? string.Empty, raw);
                break;
        }
    }

    /// <summary>The family a sample belongs to: its own name, or the declared family it is a suffix of.</summary>
    internal static string FamilyOf(string sample, Dictionary<string, (MetricType Type, string Help, string RawType)> declared, bool openMetrics)
    {
        if (declared.ContainsKey(sample))
        {
            return sample;
        }

        foreach (string suffix in FamilySuffixes)
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal))
            {
                string family = sample[..^suffix.Length];
                if (declared.TryGetValue(family, out var d) && (d.Type is MetricType.Histogram or MetricType.Summary || (openMetrics && d.RawType is "counter" or "info" or "gaugehistogram" or "unknown")))
                {
                    return family;
                }
            }
        }

        return sample;
    }

    /// <summary>
    /// A sample line read from its string: the reader's fallback for any line its byte lexer does not accept, so
    /// that errors (and the odd line only this accepts) come out exactly as they always did.
    /// </summary>
    internal static ParsedSample ParseSample(string line, int lineNumber, bool openMetrics)
    {
        int i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        string name = line[..i];
        if (!IsMetricName(name))
        {
            throw new ExpositionParseException(lineNumber, 1, $"invalid metric name in \"{Truncate(line)}\"");
        }

        var labels = new List<Label>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpaces(line, ref i, openMetrics);
                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }

                int start = i;
                while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_'))
                {
                    i++;
                }

                string label = line[start..i];
                if (label.Length == 0 || char.IsAsciiDigit(label[0]))
                {
                    throw new ExpositionParseException(lineNumber, start + 1, "expected a label name");
                }

                if (!seen.Add(label))
                {
                    throw new ExpositionParseException(lineNumber, start + 1, $"duplicate label \"{label}\"");
                }

                SkipSpaces(line, ref i, openMetrics);
                Expect(line, ref i, '=', lineNumber);
                SkipSpaces(line, ref i, openMetrics);
                Expect(line, ref i, '"', lineNumber);
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new ExpositionParseException(lineNumber, i + 1, "unterminated label value");
                    }

                    char c = line[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        if (i >= line.Length)
                        {
                            throw new ExpositionParseException(lineNumber, i + 1, "unterminated escape");
                        }

                        char e = line[i++];
                        value.Append(e switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new ExpositionParseException(lineNumber, i, $"invalid escape \\{e} in label value"),
                        });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                labels.Add(new Label(label, value.ToString()));
                SkipSpaces(line, ref i, openMetrics);
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                    continue;
                }

                Expect(line, ref i, '}', lineNumber);
                break;
            }
        }

        if (i >= line.Length || line[i] is not (' ' or '\t'))
        {
            throw new ExpositionParseException(lineNumber, i + 1, "expected a space before the value");
        }

        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }

        int valueStart = i;
        while (i < line.Length && line[i] is not (' ' or '\t'))
        {
            i++;
        }

        string valueText = line[valueStart..i];
        if (!TryParseValue(valueText, out double number))
        {
            throw new ExpositionParseException(lineNumber, valueStart + 1, $"invalid value \"{Truncate(valueText)}\"");
        }

        // What may follow: a timestamp, and in OpenMetrics an exemplar (" # {...} value [ts]").
        int hash = line.IndexOf('#', i);
        if (hash >= 0 && !openMetrics)
        {
            throw new ExpositionParseException(lineNumber, hash + 1, "exemplars are only allowed in OpenMetrics");
        }

        int restStart = i;
        while (restStart < line.Length && line[restStart] is ' ' or '\t')
        {
            restStart++;
        }

        string rest = (hash >= 0 ? line[restStart..Math.Max(restStart, hash)] : line[restStart..]).Trim();
        if (rest.Length > 0 && !double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            throw new ExpositionParseException(lineNumber, restStart + 1, $"invalid timestamp \"{Truncate(rest)}\"");
        }

        return new ParsedSample(name, [.. labels], number);
    }

    private static void SkipSpaces(string line, ref int i, bool openMetrics)
    {
        if (openMetrics)
        {
            return;
        }

        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static void Expect(string line, ref int i, char expected, int lineNumber)
    {
        if (i >= line.Length || line[i] != expected)
        {
            throw new ExpositionParseException(lineNumber, i + 1, $"expected '{expected}'{(i < line.Length ? $", got '{line[i]}'" : " at end of line")}");
        }

        i++;
    }

    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "NaN":
                value = double.NaN;
                return true;
            case "+Inf" or "Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
        }

        // Decimal and exponent notation only: .NET would also accept "∞" or thousands separators.
        value = 0;
        return text.Length > 0 && text.AsSpan().IndexOfAnyExcept(NumberChars) < 0
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static string Unescape(string text, int lineNumber, bool openMetrics, bool help)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 >= text.Length)
            {
                sb.Append(text[i]);
                continue;
            }

            char e = text[++i];
            switch (e)
            {
                case '\\': sb.Append('\\'); break;
                case 'n': sb.Append('\n'); break;
                case '"' when openMetrics || !help: sb.Append('"'); break;
                default:
                    // Prometheus' text parser keeps unknown escapes in HELP as they are.
                    sb.Append('\\').Append(e);
                    break;
            }
        }

        _ = lineNumber;
        return sb.ToString();
    }

    private static bool IsMetricName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "...";
}
