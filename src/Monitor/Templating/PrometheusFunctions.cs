using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Monitor.GoCompat;

namespace Monitor.Templating;

/// <summary>
/// The functions Prometheus 2.42 gives alert templates (template/template.go): query, first, label, value,
/// strvalue, args, reReplaceAll, safeHtml, match, title, toUpper, toLower, graphLink, tableLink, sortByLabel,
/// stripPort, stripDomain, humanize*, toTime, pathPrefix, externalURL, parseDuration; and Monitor's <c>logLines</c>.
/// </summary>
internal static class PrometheusFunctions
{
    /// <summary>
    /// What <c>logLines</c> reads: the kept matching lines of the logs check the alert's labels name. Set by the host
    /// (the logs checks keep them); unset, as under test-rules, <c>logLines</c> gives none.
    /// </summary>
    public static Func<IReadOnlyDictionary<string, string>, IReadOnlyList<string>>? LogLines { get; set; }

    /// <summary>The names, for parsing; what they do depends on <see cref="Create"/>'s options.</summary>
    public static IReadOnlySet<string> Names { get; } = Create(TemplateOptions.Default).Keys.ToHashSet(StringComparer.Ordinal);

    public static Dictionary<string, TemplateFunction> Create(TemplateOptions options)
    {
        TemplateFunction One(GoParam type, Func<object?, object?> f) => new([type], false, a => f(a[0]));
        TemplateFunction Str(Func<string, object?> f) => new([GoParam.String], false, a => f((string)a[0]!));
        TemplateFunction Num(Func<double, object?> f) => new([GoParam.Any], false, a => f(ToFloat(a[0])));
        Uri? external = Uri.TryCreate(options.ExternalUrl, UriKind.Absolute, out var u) ? u : null;

        return new Dictionary<string, TemplateFunction>(StringComparer.Ordinal)
        {
            ["query"] = Str(q => options.Query is { } query
                ? new QueryResult(query(q).Select(s => new SampleValue(s.Labels, s.Value)))
                : throw new TemplateFunctionException("no query engine is available to this template")),
            ["first"] = One(GoParam.QueryResult, v => v is QueryResult { Count: > 0 } result
                ? result[0]
                : throw new TemplateFunctionException("first() called on vector with no elements")),
            ["label"] = new([GoParam.String, GoParam.Sample], false, a => ((SampleValue)a[1]!).Labels.GetValueOrDefault((string)a[0]!, "")),
            ["value"] = One(GoParam.Sample, s => ((SampleValue)s!).Value),
            ["strvalue"] = One(GoParam.Sample, s => ((SampleValue)s!).Labels.GetValueOrDefault("__value__", "")),
            ["args"] = new([GoParam.Any], true, a =>
            {
                var map = new GoAnyMap();
                for (int i = 0; i < a.Length; i++)
                {
                    map[$"arg{i}"] = a[i];
                }

                return map;
            }),
            ["reReplaceAll"] = new([GoParam.String, GoParam.String, GoParam.String], false, a =>
            {
                string pattern = (string)a[0]!;
                var regex = GoRegex.Compile(pattern, out string? error)
                    ?? throw new TemplateFunctionException($"regexp: Compile({GoText.Quote(pattern).Replace("\"", "`", StringComparison.Ordinal)}): {error}");
                return regex.Regex.Replace((string)a[2]!, m => regex.Expand((string)a[1]!, m));
            }),
            ["safeHtml"] = Str(s => new HtmlString(s)),
            ["match"] = new([GoParam.String, GoParam.String], false, a =>
            {
                var regex = GoRegex.Compile((string)a[0]!, out string? error) ?? throw new TemplateFunctionException(error!);
                return regex.Regex.IsMatch((string)a[1]!);
            }),
            ["title"] = Str(s => Title(s)),
            // Monitor's own: the kept matching lines of the logs check the labels name (promtool does not know it).
            ["logLines"] = One(GoParam.Any, v => v is IReadOnlyDictionary<string, string> labels
                ? (LogLines?.Invoke(labels) ?? []).Cast<object?>().ToList()
                : throw new TemplateFunctionException($"logLines: expected the alert's labels (map[string]string), got {GoValues.TypeName(v)}")),
            ["toUpper"] = Str(s => s.ToUpperInvariant()),
            ["toLower"] = Str(s => s.ToLowerInvariant()),
            ["graphLink"] = Str(s => $"/graph?g0.expr={QueryEscape(s)}&g0.tab=0"),
            ["tableLink"] = Str(s => $"/graph?g0.expr={QueryEscape(s)}&g0.tab=1"),
            ["sortByLabel"] = new([GoParam.String, GoParam.QueryResult], false, a =>
            {
                string label = (string)a[0]!;
                var result = (QueryResult?)a[1] ?? [];
                var sorted = result.Select((s, i) => (s, i)).OrderBy(p => p.s.Labels.GetValueOrDefault(label, ""), StringComparer.Ordinal).ThenBy(p => p.i).Select(p => p.s).ToList();
                result.Clear();
                result.AddRange(sorted);
                return result;
            }),
            ["stripPort"] = Str(s => SplitHostPort(s) is { } hp ? hp.Host : s),
            ["stripDomain"] = Str(StripDomain),
            ["humanize"] = Num(v => Humanize(v)),
            ["humanize1024"] = Num(v => Humanize1024(v)),
            ["humanizeDuration"] = Num(v => HumanizeDuration(v)),
            ["humanizePercentage"] = Num(v => GoFormat.G(v * 100, 4) + "%"),
            ["humanizeTimestamp"] = Num(v => double.IsNaN(v) || double.IsInfinity(v) ? GoFormat.G(v, 4) : GoFmt.FormatTime(ToTime(v).UnixMilliseconds)),
            ["toTime"] = Num(v => double.IsNaN(v) || double.IsInfinity(v) ? throw new TemplateFunctionException("value is NaN or Inf") : ToTime(v)),
            ["pathPrefix"] = new([], false, _ => options.ExternalUrlFunctions ? external?.AbsolutePath ?? "" : throw NilPointer()),
            ["externalURL"] = new([], false, _ => options.ExternalUrlFunctions ? options.ExternalUrl : throw NilPointer()),
            ["parseDuration"] = Str(s => ParseDuration(s)),
        };
    }

    // promtool test rules gives the rules no external URL object, so these two functions dereference nil there.
    private static TemplateFunctionException NilPointer() => new("runtime error: invalid memory address or nil pointer dereference");

    /// <summary>Prometheus' convertToFloat.</summary>
    private static double ToFloat(object? value) => value switch
    {
        double d => d,
        long l => l,
        string s => GoText.ParseFloat(s, out string? error) ?? throw new TemplateFunctionException(error ?? $"strconv.ParseFloat: parsing {GoText.Quote(s)}: invalid syntax"),
        _ => throw new TemplateFunctionException($"can't convert {GoValues.TypeName(value)} to float"),
    };

    private static TimeValue ToTime(double v)
    {
        double nanos = v * 1e9;
        if (nanos > long.MaxValue || nanos < long.MinValue)
        {
            throw new TemplateFunctionException($"{GoFormat.Value(v)} cannot be represented as a nanoseconds timestamp since it overflows int64");
        }

        return new TimeValue((long)nanos / 1_000_000);
    }

    private static readonly string[] LargePrefixes = ["k", "M", "G", "T", "P", "E", "Z", "Y"];
    private static readonly string[] BinaryPrefixes = ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"];
    private static readonly string[] SmallPrefixes = ["m", "u", "n", "p", "f", "a", "z", "y"];

    private static string ScaleUp(ref double v, double step, string[] prefixes)
    {
        string prefix = string.Empty;
        foreach (string p in prefixes)
        {
            if (Math.Abs(v) < step)
            {
                break;
            }

            prefix = p;
            v /= step;
        }

        return prefix;
    }

    private static string ScaleDown(ref double v)
    {
        string prefix = string.Empty;
        foreach (string p in SmallPrefixes)
        {
            if (Math.Abs(v) >= 1)
            {
                break;
            }

            prefix = p;
            v *= 1000;
        }

        return prefix;
    }

    public static string Humanize(double v)
    {
        if (v == 0 || double.IsNaN(v) || double.IsInfinity(v))
        {
            return GoFormat.G(v, 4);
        }

        string prefix = Math.Abs(v) >= 1 ? ScaleUp(ref v, 1000, LargePrefixes) : ScaleDown(ref v);
        return GoFormat.G(v, 4) + prefix;
    }

    public static string Humanize1024(double v)
    {
        if (Math.Abs(v) <= 1 || double.IsNaN(v) || double.IsInfinity(v))
        {
            return GoFormat.G(v, 4);
        }

        string prefix = ScaleUp(ref v, 1024, BinaryPrefixes);
        return GoFormat.G(v, 4) + prefix;
    }

    public static string HumanizeDuration(double v)
    {
        if (double.IsNaN(v) || double.IsInfinity(v))
        {
            return GoFormat.G(v, 4);
        }

        if (v == 0)
        {
            return GoFormat.G(v, 4) + "s";
        }

        if (Math.Abs(v) >= 1)
        {
            string sign = v < 0 ? "-" : string.Empty;
            v = Math.Abs(v);
            long duration = v >= 9.2e18 ? long.MinValue : (long)v;
            long seconds = duration % 60, minutes = duration / 60 % 60, hours = duration / 60 / 60 % 24, days = duration / 60 / 60 / 24;
            return days != 0 ? $"{sign}{days}d {hours}h {minutes}m {seconds}s"
                : hours != 0 ? $"{sign}{hours}h {minutes}m {seconds}s"
                : minutes != 0 ? $"{sign}{minutes}m {seconds}s"
                : $"{sign}{GoFormat.G(v, 4)}s";
        }

        string prefix = ScaleDown(ref v);
        return GoFormat.G(v, 4) + prefix + "s";
    }

    /// <summary>strings.Title: the first letter of every word in title case.</summary>
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousSeparator = true;
        foreach (var rune in s.EnumerateRunes())
        {
            sb.Append((previousSeparator ? Rune.ToUpperInvariant(rune) : rune).ToString());
            previousSeparator = IsSeparator(rune);
        }

        return sb.ToString();
    }

    private static bool IsSeparator(Rune r)
    {
        if (r.Value <= 0x7F)
        {
            return !(char.IsAsciiLetterOrDigit((char)r.Value) || r.Value == '_');
        }

        return !(Rune.IsLetter(r) || Rune.IsDigit(r)) && Rune.IsWhiteSpace(r);
    }

    /// <summary>url.QueryEscape.</summary>
    internal static string QueryEscape(string s)
    {
        var sb = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(s))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                sb.Append(c);
            }
            else if (c == ' ')
            {
                sb.Append('+');
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>net.SplitHostPort; null where Go gives an error.</summary>
    private static (string Host, string Port)? SplitHostPort(string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon < 0)
        {
            return null;
        }

        string host;
        if (hostPort.StartsWith('['))
        {
            int end = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (end < 0 || end + 1 != colon)
            {
                return null;
            }

            host = hostPort[1..end];
        }
        else
        {
            host = hostPort[..colon];
            if (host.Contains(':', StringComparison.Ordinal) || host.Contains('[', StringComparison.Ordinal) || host.Contains(']', StringComparison.Ordinal))
            {
                return null;
            }
        }

        string port = hostPort[(colon + 1)..];
        return port.Contains('[', StringComparison.Ordinal) || port.Contains(']', StringComparison.Ordinal) ? null : (host, port);
    }

    private static string StripDomain(string hostPort)
    {
        var split = SplitHostPort(hostPort);
        string host = split?.Host ?? hostPort;
        string port = split?.Port ?? "";
        if (IPAddress.TryParse(host, out _) && (host.Contains('.', StringComparison.Ordinal) || host.Contains(':', StringComparison.Ordinal)))
        {
            return hostPort;
        }

        host = host.Split('.')[0];
        return port.Length > 0 ? (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}") : host;
    }

    private static readonly Regex DurationPattern = new(
        "^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$",
        RegexOptions.CultureInvariant);

    /// <summary>model.ParseDuration, in seconds.</summary>
    private static double ParseDuration(string s)
    {
        if (s == "0")
        {
            return 0;
        }

        var m = DurationPattern.Match(s);
        if (s.Length == 0 || !m.Success)
        {
            throw new TemplateFunctionException($"not a valid duration string: {GoText.Quote(s)}");
        }

        long[] unitsMs = [365L * 86400000, 7L * 86400000, 86400000, 3600000, 60000, 1000, 1];
        decimal total = 0;
        for (int i = 0; i < unitsMs.Length; i++)
        {
            if (m.Groups[i + 1].Success)
            {
                total += decimal.Parse(m.Groups[i + 1].Value, CultureInfo.InvariantCulture) * unitsMs[i];
                if (total > long.MaxValue / 1_000_000)
                {
                    throw new TemplateFunctionException("duration out of range");
                }
            }
        }

        return (double)(total * 1_000_000) / 1e9;
    }
}
