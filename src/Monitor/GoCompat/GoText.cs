using System.Globalization;
using System.Text;

namespace Monitor.GoCompat;

/// <summary>
/// Go's string and number syntax where Prometheus exposes it: <c>%q</c> quoting (strconv.Quote and QuoteRune),
/// Prometheus' string unquoting (strutil.Unquote: Go escapes, single, double and back quotes), and
/// strconv.ParseInt with base 0 and ParseFloat as PromQL number literals use them.
/// </summary>
internal static class GoText
{
    /// <summary>strconv.Quote: a double-quoted Go string literal, non-printable runes escaped.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var rune in Runes(s))
        {
            AppendQuotedRune(sb, rune, '"');
        }

        return sb.Append('"').ToString();
    }

    /// <summary><c>%.Nq</c>: the first <paramref name="runes"/> runes, quoted.</summary>
    public static string QuotePrefix(string s, int runes)
    {
        var sb = new StringBuilder();
        int n = 0;
        foreach (var rune in Runes(s))
        {
            if (n++ == runes)
            {
                break;
            }

            sb.Append(rune.IsValid ? rune.Rune.ToString() : "\uFFFD");
        }

        return Quote(sb.ToString());
    }

    /// <summary>strconv.QuoteRune: a single-quoted Go rune literal.</summary>
    public static string QuoteRune(int rune)
    {
        var sb = new StringBuilder("'");
        AppendQuotedRune(sb, Rune.IsValid(rune) ? new DecodedRune(new Rune(rune), true, 0) : new DecodedRune(Rune.ReplacementChar, false, 0), '\'');
        return sb.Append('\'').ToString();
    }

    /// <summary>Go's <c>%#U</c> of a rune: <c>U+0027 '''</c>.</summary>
    public static string UnicodeNotation(int rune)
    {
        string code = "U+" + rune.ToString("X4", CultureInfo.InvariantCulture);
        return Rune.IsValid(rune) && IsPrint(new Rune(rune)) ? $"{code} '{char.ConvertFromUtf32(rune)}'" : code;
    }

    /// <summary>
    /// Prometheus' strutil.Unquote: a <c>"…"</c> or <c>'…'</c> string with Go escapes (<c>\n</c>, <c>\x41</c>,
    /// <c>\u00e9</c>, <c>\101</c>…), or a raw <c>`…`</c> string. Null when <paramref name="quoted"/> is not valid.
    /// </summary>
    public static string? Unquote(string quoted)
    {
        int n = quoted.Length;
        if (n < 2 || quoted[0] != quoted[n - 1])
        {
            return null;
        }

        char quote = quoted[0];
        string s = quoted[1..^1];
        if (quote == '`')
        {
            return s.Contains('`', StringComparison.Ordinal) ? null : s;
        }

        if ((quote != '"' && quote != '\'') || s.Contains('\n', StringComparison.Ordinal))
        {
            return null;
        }

        if (!s.Contains('\\', StringComparison.Ordinal) && !s.Contains(quote, StringComparison.Ordinal))
        {
            return s;
        }

        // \x and octal escapes give bytes, which Go keeps as they are; decode runs of them as UTF-8.
        var sb = new StringBuilder(s.Length);
        var bytes = new List<byte>();
        void FlushBytes()
        {
            if (bytes.Count > 0)
            {
                sb.Append(Encoding.UTF8.GetString([.. bytes]));
                bytes.Clear();
            }
        }

        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == quote)
            {
                return null;
            }

            if (c != '\\')
            {
                FlushBytes();
                sb.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= s.Length)
            {
                return null;
            }

            char e = s[i + 1];
            i += 2;
            switch (e)
            {
                case 'a': FlushBytes(); sb.Append('\a'); break;
                case 'b': FlushBytes(); sb.Append('\b'); break;
                case 'f': FlushBytes(); sb.Append('\f'); break;
                case 'n': FlushBytes(); sb.Append('\n'); break;
                case 'r': FlushBytes(); sb.Append('\r'); break;
                case 't': FlushBytes(); sb.Append('\t'); break;
                case 'v': FlushBytes(); sb.Append('\v'); break;
                case '\\': FlushBytes(); sb.Append('\\'); break;
                case '\'' or '"':
                    if (e != quote)
                    {
                        return null;
                    }

                    FlushBytes();
                    sb.Append(e);
                    break;
                case 'x' or 'u' or 'U':
                {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + digits > s.Length || !int.TryParse(s.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value) || s.AsSpan(i, digits).ContainsAny('+', '-'))
                    {
                        return null;
                    }

                    i += digits;
                    if (e == 'x')
                    {
                        bytes.Add((byte)value);
                        break;
                    }

                    if (!Rune.IsValid(value))
                    {
                        return null;
                    }

                    FlushBytes();
                    sb.Append(char.ConvertFromUtf32(value));
                    break;
                }

                case >= '0' and <= '7':
                {
                    if (i + 2 > s.Length)
                    {
                        return null;
                    }

                    int value = e - '0';
                    for (int k = 0; k < 2; k++)
                    {
                        char d = s[i + k];
                        if (d is < '0' or > '7')
                        {
                            return null;
                        }

                        value = (value * 8) + (d - '0');
                    }

                    if (value > 255)
                    {
                        return null;
                    }

                    i += 2;
                    bytes.Add((byte)value);
                    break;
                }

                default:
                    return null;
            }
        }

        FlushBytes();
        return sb.ToString();
    }

    /// <summary>
    /// A PromQL number literal as the parser reads it: strconv.ParseInt(s, 0, 64) (decimal, 0x hex, 0 octal),
    /// else strconv.ParseFloat. Null with Go's error text when neither accepts it.
    /// </summary>
    public static double? ParseNumber(string s, out string? error)
    {
        error = null;
        if (ParseInt64(s) is { } n)
        {
            return n;
        }

        return ParseFloat(s, out error);
    }

    /// <summary>strconv.ParseInt(s, 0, 64) for what the PromQL lexer scans (no sign, no underscores).</summary>
    public static long? ParseInt64(string s)
    {
        if (s.Length == 0)
        {
            return null;
        }

        int radix = 10;
        string digits = s;
        if (s.Length >= 2 && s[0] == '0' && (s[1] is 'x' or 'X'))
        {
            radix = 16;
            digits = s[2..];
        }
        else if (s.Length >= 2 && s[0] == '0' && (s[1] is 'o' or 'O'))
        {
            radix = 8;
            digits = s[2..];
        }
        else if (s.Length >= 2 && s[0] == '0' && (s[1] is 'b' or 'B'))
        {
            radix = 2;
            digits = s[2..];
        }
        else if (s[0] == '0' && s.Length > 1)
        {
            radix = 8;
            digits = s[1..];
        }

        if (digits.Length == 0)
        {
            return null;
        }

        ulong value = 0;
        foreach (char c in digits)
        {
            int d = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => 99,
            };
            if (d >= radix)
            {
                return null;
            }

            if (value > (ulong.MaxValue - (ulong)d) / (ulong)radix)
            {
                return null;
            }

            value = (value * (ulong)radix) + (ulong)d;
        }

        return value > long.MaxValue ? null : (long)value;
    }

    /// <summary>strconv.ParseFloat(s, 64) for decimal forms and inf/infinity/nan; null with Go's error text otherwise.</summary>
    public static double? ParseFloat(string s, out string? error)
    {
        error = null;
        string body = s.StartsWith('+') || s.StartsWith('-') ? s[1..] : s;
        bool negative = s.StartsWith('-');
        switch (body.ToLowerInvariant())
        {
            case "inf" or "infinity":
                return negative ? double.NegativeInfinity : double.PositiveInfinity;
            case "nan":
                return double.NaN;
        }

        bool wellFormed = body.Length > 0;
        int i = 0;
        int mantissaDigits = 0;
        while (i < body.Length && char.IsAsciiDigit(body[i]))
        {
            i++;
            mantissaDigits++;
        }

        if (i < body.Length && body[i] == '.')
        {
            i++;
            while (i < body.Length && char.IsAsciiDigit(body[i]))
            {
                i++;
                mantissaDigits++;
            }
        }

        if (mantissaDigits == 0)
        {
            wellFormed = false;
        }

        if (wellFormed && i < body.Length && (body[i] is 'e' or 'E'))
        {
            i++;
            if (i < body.Length && (body[i] is '+' or '-'))
            {
                i++;
            }

            int expDigits = 0;
            while (i < body.Length && char.IsAsciiDigit(body[i]))
            {
                i++;
                expDigits++;
            }

            wellFormed = expDigits > 0;
        }

        if (!wellFormed || i != body.Length || !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            error = $"strconv.ParseFloat: parsing {Quote(s)}: invalid syntax";
            return null;
        }

        if (double.IsInfinity(value))
        {
            error = $"strconv.ParseFloat: parsing {Quote(s)}: value out of range";
            return null;
        }

        return value;
    }

    /// <summary>A rune of a UTF-16 string; lone surrogates are invalid (Go's RuneError).</summary>
    internal readonly record struct DecodedRune(Rune Rune, bool IsValid, int Index);

    internal static IEnumerable<DecodedRune> Runes(string s)
    {
        int i = 0;
        while (i < s.Length)
        {
            if (Rune.TryGetRuneAt(s, i, out var rune))
            {
                yield return new DecodedRune(rune, true, i);
                i += rune.Utf16SequenceLength;
            }
            else
            {
                yield return new DecodedRune(Rune.ReplacementChar, false, i);
                i++;
            }
        }
    }

    /// <summary>Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    public static bool IsPrint(Rune r)
    {
        if (r.Value == ' ')
        {
            return true;
        }

        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
                or UnicodeCategory.OtherPunctuation
                or UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol => true,
            _ => false,
        };
    }

    private static void AppendQuotedRune(StringBuilder sb, DecodedRune decoded, char quote)
    {
        if (!decoded.IsValid)
        {
            sb.Append("\\ufffd");
            return;
        }

        var r = decoded.Rune;
        int v = r.Value;
        if (v == quote || v == '\\')
        {
            sb.Append('\\').Append((char)v);
            return;
        }

        if (IsPrint(r))
        {
            sb.Append(r.ToString());
            return;
        }

        switch (v)
        {
            case '\a': sb.Append("\\a"); return;
            case '\b': sb.Append("\\b"); return;
            case '\f': sb.Append("\\f"); return;
            case '\n': sb.Append("\\n"); return;
            case '\r': sb.Append("\\r"); return;
            case '\t': sb.Append("\\t"); return;
            case '\v': sb.Append("\\v"); return;
        }

        if (v < ' ' || v == 0x7f)
        {
            sb.Append("\\x").Append(v.ToString("x2", CultureInfo.InvariantCulture));
        }
        else if (v < 0x10000)
        {
            sb.Append("\\u").Append(v.ToString("x4", CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append("\\U").Append(v.ToString("x8", CultureInfo.InvariantCulture));
        }
    }
}
