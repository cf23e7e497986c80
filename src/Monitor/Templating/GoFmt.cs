using System.Globalization;
using System.Text;
using Monitor.GoCompat;

namespace Monitor.Templating;

/// <summary>
/// Go's fmt for the values templates handle (<see cref="GoValues"/>): Sprint, Sprintln and Sprintf with flags,
/// width, precision and Go's texts for a wrong verb, a missing or an extra argument.
/// </summary>
internal static class GoFmt
{
    private static bool IsStringKind(object? value) => value is string or HtmlString;

    /// <summary>fmt.Sprint: spaces between operands when neither side is a string.</summary>
    public static string Sprint(IReadOnlyList<object?> args)
    {
        var sb = new StringBuilder();
        bool previousString = false;
        for (int i = 0; i < args.Count; i++)
        {
            bool isString = IsStringKind(args[i]);
            if (i > 0 && !isString && !previousString)
            {
                sb.Append(' ');
            }

            sb.Append(Format(args[i], 'v', default, 0));
            previousString = isString;
        }

        return sb.ToString();
    }

    /// <summary>fmt.Sprintln: spaces always, and a newline.</summary>
    public static string Sprintln(IReadOnlyList<object?> args) =>
        string.Join(" ", args.Select(a => Format(a, 'v', default, 0))) + "\n";

    /// <summary>%v of one value.</summary>
    public static string Value(object? value) => Format(value, 'v', default, 0);

    private record struct Spec(bool Plus, bool Minus, bool Sharp, bool Space, bool Zero, int? Width, int? Precision);

    public static string Sprintf(string format, IReadOnlyList<object?> args)
    {
        var sb = new StringBuilder();
        int argNum = 0;
        int i = 0;
        while (i < format.Length)
        {
            int percent = format.IndexOf('%', i);
            if (percent < 0)
            {
                sb.Append(format, i, format.Length - i);
                break;
            }

            sb.Append(format, i, percent - i);
            i = percent + 1;
            var spec = default(Spec);
            for (; i < format.Length; i++)
            {
                switch (format[i])
                {
                    case '+': spec.Plus = true; continue;
                    case '-': spec.Minus = true; spec.Zero = false; continue;
                    case '#': spec.Sharp = true; continue;
                    case ' ': spec.Space = true; continue;
                    case '0': spec.Zero = !spec.Minus; continue;
                }

                break;
            }

            if (i < format.Length && format[i] == '*')
            {
                i++;
                spec.Width = argNum < args.Count && args[argNum] is long w ? (int)w : null;
                if (spec.Width is null)
                {
                    sb.Append("%!(BADWIDTH)");
                }

                argNum++;
                if (spec.Width < 0)
                {
                    spec.Minus = true;
                    spec.Width = -spec.Width;
                }
            }
            else
            {
                spec.Width = Digits(format, ref i);
            }

            if (i < format.Length && format[i] == '.')
            {
                i++;
                if (i < format.Length && format[i] == '*')
                {
                    i++;
                    spec.Precision = argNum < args.Count && args[argNum] is long p && p >= 0 ? (int)p : null;
                    if (spec.Precision is null)
                    {
                        sb.Append("%!(BADPREC)");
                    }

                    argNum++;
                }
                else
                {
                    spec.Precision = Digits(format, ref i) ?? 0;
                }
            }

            if (i >= format.Length)
            {
                sb.Append("%!(NOVERB)");
                break;
            }

            var rune = Rune.GetRuneAt(format, i);
            i += rune.Utf16SequenceLength;
            char verb = rune.Value < 0x10000 ? (char)rune.Value : '?';
            if (verb == '%')
            {
                sb.Append('%');
                continue;
            }

            if (argNum >= args.Count)
            {
                sb.Append("%!").Append(rune.ToString()).Append("(MISSING)");
                continue;
            }

            sb.Append(Format(args[argNum++], verb, spec, 0));
        }

        if (argNum < args.Count)
        {
            sb.Append("%!(EXTRA ");
            sb.Append(string.Join(", ", args.Skip(argNum).Select(a => a is null ? "<nil>" : GoValues.TypeName(a) + "=" + Format(a, 'v', default, 0))));
            sb.Append(')');
        }

        return sb.ToString();
    }

    private static int? Digits(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        return i > start ? int.Parse(s.AsSpan(start, i - start), CultureInfo.InvariantCulture) : null;
    }

    private static string BadVerb(char verb, object? value) =>
        value is null ? $"%!{verb}(<nil>)" : $"%!{verb}({GoValues.TypeName(value)}={Format(value, 'v', default, 0)})";

    private static string Pad(string s, Spec spec, bool numeric = false)
    {
        if (spec.Width is not { } width)
        {
            return s;
        }

        int length = s.EnumerateRunes().Count();
        if (length >= width)
        {
            return s;
        }

        if (spec.Minus)
        {
            return s + new string(' ', width - length);
        }

        if (spec.Zero && numeric)
        {
            int sign = s.Length > 0 && s[0] is '+' or '-' or ' ' ? 1 : 0;
            return s[..sign] + new string('0', width - length) + s[sign..];
        }

        return new string(' ', width - length) + s;
    }

    private static string Format(object? value, char verb, Spec spec, int depth)
    {
        switch (value)
        {
            case null:
                return verb == 'v' ? Pad("<nil>", spec) : BadVerb(verb, null);
            case bool b:
                return verb is 'v' or 't' ? Pad(b ? "true" : "false", spec) : BadVerb(verb, value);
            case long l:
                return FormatInt(l, verb, spec) ?? BadVerb(verb, value);
            case double d:
                return FormatFloat(d, verb, spec) ?? BadVerb(verb, value);
            case string s:
                return FormatString(s, verb, spec) ?? BadVerb(verb, value);
            case HtmlString h:
                return FormatString(h.Text, verb, spec) ?? BadVerb(verb, value);
            case TimeValue t when verb is 'v' or 's' or 'q':
                string text = FormatTime(t.UnixMilliseconds);
                return verb == 'q' ? Pad(GoText.Quote(text), spec) : Pad(text, spec);
            case IReadOnlyDictionary<string, string> map:
                return Pad("map[" + string.Join(" ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Format(p.Key, verb, default, depth + 1) + ":" + Format(p.Value, verb, default, depth + 1))) + "]", spec);
            case GoAnyMap anyMap:
                return Pad("map[" + string.Join(" ", anyMap.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Format(p.Key, verb, default, depth + 1) + ":" + Format(p.Value, verb, default, depth + 1))) + "]", spec);
            case SampleValue sample:
                string body = "{" + (spec.Plus ? "Labels:" : "") + Format(sample.Labels, verb, default, depth + 1) + " " + (spec.Plus ? "Value:" : "") + Format(sample.Value, verb, default, depth + 1) + "}";
                return depth == 0 ? Pad("&" + body, spec) : Pad("0xc000010000", spec);
            case QueryResult result:
                return Pad("[" + string.Join(" ", result.Select((s, n) => Format(s, verb, default, depth + 1))) + "]", spec);
            case GoStruct goStruct:
                return Pad("{" + string.Join(" ", goStruct.Fields.Select(f => (spec.Plus ? f.Key + ":" : "") + Format(f.Value, verb, default, depth + 1))) + "}", spec);
            default:
                return Pad(value.ToString() ?? "", spec);
        }
    }

    private static string? FormatInt(long l, char verb, Spec spec)
    {
        string sign = l < 0 ? "-" : spec.Plus ? "+" : spec.Space ? " " : "";
        ulong magnitude = l < 0 ? (ulong)(-(l + 1)) + 1 : (ulong)l;
        string? digits = verb switch
        {
            'v' or 'd' => magnitude.ToString(CultureInfo.InvariantCulture),
            'x' => (spec.Sharp ? "0x" : "") + magnitude.ToString("x", CultureInfo.InvariantCulture),
            'X' => (spec.Sharp ? "0X" : "") + magnitude.ToString("X", CultureInfo.InvariantCulture),
            'o' => (spec.Sharp ? "0" : "") + Convert.ToString((long)magnitude, 8),
            'O' => "0o" + Convert.ToString((long)magnitude, 8),
            'b' => Convert.ToString((long)magnitude, 2),
            _ => null,
        };
        if (digits is not null)
        {
            if (spec.Precision is { } precision && digits.Length < precision)
            {
                digits = new string('0', precision - digits.Length) + digits;
            }

            return Pad(sign + digits, spec, numeric: spec.Precision is null);
        }

        return verb switch
        {
            'c' => Pad(Rune.IsValid((int)l) ? char.ConvertFromUtf32((int)l) : "\uFFFD", spec),
            'q' => Pad(GoText.QuoteRune((int)l), spec),
            'U' => Pad("U+" + l.ToString("X4", CultureInfo.InvariantCulture), spec),
            _ => null,
        };
    }

    private static string? FormatFloat(double d, char verb, Spec spec)
    {
        string? text = verb switch
        {
            'v' => spec.Precision is { } vp ? GoFormat.G(d, vp) : GoFormat.Value(d),
            'g' => GoFormat.G(d, spec.Precision ?? -1),
            'G' => GoFormat.G(d, spec.Precision ?? -1).ToUpperInvariant(),
            'f' or 'F' => double.IsNaN(d) || double.IsInfinity(d) ? GoFormat.Value(d) : GoFloat.FormatFixed(d, spec.Precision ?? 6),
            'e' => GoFormat.E(d, spec.Precision ?? 6),
            'E' => GoFormat.E(d, spec.Precision ?? 6).ToUpperInvariant(),
            _ => null,
        };
        if (text is null)
        {
            return null;
        }

        if (text == "NaN")
        {
            text = spec.Plus ? "+NaN" : spec.Space ? " NaN" : "NaN";
            return Pad(text, spec with { Zero = false });
        }

        if (!text.StartsWith('-') && !text.StartsWith('+'))
        {
            text = (spec.Plus ? "+" : spec.Space ? " " : "") + text;
        }
        else if (text.StartsWith('+') && !spec.Plus)
        {
            text = (spec.Space ? " " : "") + text[1..];
        }

        return Pad(text, double.IsInfinity(d) ? spec with { Zero = false } : spec, numeric: true);
    }

    private static string? FormatString(string s, char verb, Spec spec)
    {
        if (spec.Precision is { } precision && verb is 's' or 'v' or 'q')
        {
            s = string.Concat(s.EnumerateRunes().Take(precision));
        }

        return verb switch
        {
            'v' or 's' => Pad(s, spec),
            'q' => Pad(spec.Sharp && !s.Contains('`', StringComparison.Ordinal) ? "`" + s + "`" : GoText.Quote(s), spec),
            'x' => Pad(Convert.ToHexString(Encoding.UTF8.GetBytes(s)).ToLowerInvariant(), spec),
            'X' => Pad(Convert.ToHexString(Encoding.UTF8.GetBytes(s)), spec),
            _ => null,
        };
    }

    /// <summary>time.Time.String() in UTC: <c>2006-01-02 15:04:05.999999999 +0000 UTC</c>.</summary>
    public static string FormatTime(long unixMilliseconds)
    {
        long seconds = Math.DivRem(unixMilliseconds, 1000, out long ms);
        if (ms < 0)
        {
            seconds--;
            ms += 1000;
        }

        var time = GoTime.FromUnix(seconds);
        long second = ((seconds % 60) + 60) % 60;
        string year = time.Year < 0 ? "-" + (-time.Year).ToString("D4", CultureInfo.InvariantCulture) : time.Year.ToString("D4", CultureInfo.InvariantCulture);
        string fraction = ms == 0 ? "" : "." + ms.ToString("D3", CultureInfo.InvariantCulture).TrimEnd('0');
        return string.Create(CultureInfo.InvariantCulture, $"{year}-{time.Month:D2}-{time.Day:D2} {time.Hour:D2}:{time.Minute:D2}:{second:D2}{fraction} +0000 UTC");
    }
}
