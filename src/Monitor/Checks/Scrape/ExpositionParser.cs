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

    public static List<ParsedFamily> Parse(string text, bool openMetrics)
    {
        var families = new List<ParsedFamily>();
        var byName = new Dictionary<string, ParsedFamily>(StringComparer.Ordinal);
        var declared = new Dictionary<string, (MetricType Type, string Help, string RawType)>(StringComparer.Ordinal);
        bool sawEof = false;
        string[] lines = text.Split('\n');
        int lineNumber = 0;
        foreach (string rawLine in lines)
        {
            lineNumber++;
            if (rawLine.Length > MaxLineLength)
            {
                throw new ExpositionParseException(lineNumber, MaxLineLength + 1, $"line longer than {MaxLineLength} characters");
            }

            string line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            bool last = lineNumber == lines.Length;
            if (sawEof)
            {
                if (!(last && line.Length == 0))
                {
                    throw new ExpositionParseException(lineNumber, 1, "content after # EOF");
                }

                continue;
            }

            if (line.Length == 0 || (!openMetrics && line.AsSpan().Trim().IsEmpty))
            {
                if (openMetrics && !last)
                {
                    throw new ExpositionParseException(lineNumber, 1, "empty line (not allowed in OpenMetrics)");
                }

                continue;
            }

            if (line[0] == '#')
            {
                if (line == "# EOF")
                {
                    sawEof = true;
                    continue;
                }

                ParseComment(line, lineNumber, openMetrics, declared);
                continue;
            }

            var sample = ParseSample(line, lineNumber, openMetrics);
            string family = FamilyOf(sample.Name, declared, openMetrics);
            if (!byName.TryGetValue(family, out var parsed))
            {
                var (type, help, _) = declared.GetValueOrDefault(family, (MetricType.Unknown, string.Empty, "untyped"));
                string storeName = type == MetricType.Counter && openMetrics ? family + "_total" : family;
                parsed = new ParsedFamily(storeName, type, help, []);
                byName[family] = parsed;
                families.Add(parsed);
            }

            if (openMetrics && sample.Name.EndsWith("_created", StringComparison.Ordinal) && sample.Name != family)
            {
                continue; // creation timestamps have no place in text 0.0.4
            }

            parsed.Samples.Add(sample);
        }

        if (openMetrics && !sawEof)
        {
            throw new ExpositionParseException(lineNumber, 1, "missing # EOF");
        }

        return families;
    }

    private static void ParseComment(string line, int lineNumber, bool openMetrics, Dictionary<string, (MetricType, string, string)> declared)
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
    private static string FamilyOf(string sample, Dictionary<string, (MetricType Type, string Help, string RawType)> declared, bool openMetrics)
    {
        if (declared.ContainsKey(sample))
        {
            return sample;
        }

        foreach (string suffix in new[] { "_bucket", "_sum", "_count", "_total", "_created", "_info", "_gsum", "_gcount" })
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

    private static ParsedSample ParseSample(string line, int lineNumber, bool openMetrics)
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
