using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Monitor.GoCompat;

/// <summary>
/// Go's regexp (RE2 syntax) on .NET: a pattern is checked against what RE2 accepts (no lookaround, no
/// backreferences, repetition at most 1000) and rewritten where .NET reads the same text differently —
/// <c>\d \w \s \b</c> and POSIX classes are ASCII in RE2, <c>$</c> is the end of the text, <c>(?P&lt;name&gt;)</c>
/// names a group, <c>\pL</c> needs no braces, <c>\Q…\E</c> quotes. It runs on .NET's non-backtracking
/// engine, which like RE2 takes linear time, so a hostile pattern cannot stall an evaluation.
/// </summary>
internal sealed class GoRegex
{
    private static readonly ConcurrentDictionary<string, GoRegex> Cache = new(StringComparer.Ordinal);

    private GoRegex(Regex regex, string[] groupNames)
    {
        Regex = regex;
        GroupNames = groupNames;
    }

    public Regex Regex { get; }

    /// <summary>Names of the groups by number (index 0 is the whole match); "" for unnamed groups.</summary>
    public string[] GroupNames { get; }

    /// <summary>Compiles <paramref name="pattern"/> as Go's regexp.Compile would, or gives Go's error text.</summary>
    public static GoRegex? Compile(string pattern, out string? error)
    {
        if (Cache.TryGetValue(pattern, out var cached))
        {
            error = null;
            return cached;
        }

        string? translated = Translate(pattern, out error);
        if (translated is null)
        {
            return null;
        }

        Regex regex;
        try
        {
            regex = new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (ArgumentException e)
        {
            error = $"error parsing regexp: {e.Message}";
            return null;
        }
        catch (NotSupportedException e)
        {
            error = $"error parsing regexp: {e.Message}";
            return null;
        }

        var numbers = regex.GetGroupNumbers();
        var names = new string[numbers.Length == 0 ? 1 : numbers.Max() + 1];
        foreach (int n in numbers)
        {
            string name = regex.GroupNameFromNumber(n);
            names[n] = name == n.ToString(CultureInfo.InvariantCulture) ? string.Empty : name;
        }

        var compiled = new GoRegex(regex, names);
        if (Cache.Count < 10_000)
        {
            Cache[pattern] = compiled;
        }

        return compiled;
    }

    /// <summary>Go's Regexp.ExpandString: <c>$1</c>, <c>${1}</c>, <c>$name</c>, <c>${name}</c>, <c>$$</c>.</summary>
    public string Expand(string template, Match match)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < template.Length)
        {
            int dollar = template.IndexOf('$', i);
            if (dollar < 0)
            {
                break;
            }

            sb.Append(template, i, dollar - i);
            i = dollar + 1;
            if (i < template.Length && template[i] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }

            if (!Extract(template, i, out string name, out int num, out int rest))
            {
                sb.Append('$');
                continue;
            }

            i = rest;
            if (num >= 0)
            {
                if (num < match.Groups.Count && match.Groups[num].Success && num < GroupNames.Length)
                {
                    sb.Append(match.Groups[num].Value);
                }
            }
            else
            {
                for (int g = 0; g < GroupNames.Length; g++)
                {
                    if (GroupNames[g] == name)
                    {
                        if (match.Groups[g].Success)
                        {
                            sb.Append(match.Groups[g].Value);
                        }

                        break;
                    }
                }
            }
        }

        if (i < template.Length)
        {
            sb.Append(template, i, template.Length - i);
        }

        return sb.ToString();
    }

    private static bool Extract(string s, int start, out string name, out int num, out int rest)
    {
        name = string.Empty;
        num = -1;
        rest = start;
        if (start >= s.Length)
        {
            return false;
        }

        bool brace = s[start] == '{';
        int i = brace ? start + 1 : start;
        int nameStart = i;
        while (i < s.Length)
        {
            if (!Rune.TryGetRuneAt(s, i, out var r) || !(Rune.IsLetter(r) || Rune.IsDigit(r) || r.Value == '_'))
            {
                break;
            }

            i += r.Utf16SequenceLength;
        }

        if (i == nameStart)
        {
            return false;
        }

        name = s[nameStart..i];
        if (brace)
        {
            if (i >= s.Length || s[i] != '}')
            {
                return false;
            }

            i++;
        }

        num = 0;
        foreach (char c in name)
        {
            if (c is < '0' or > '9' || num >= 100_000_000)
            {
                num = -1;
                break;
            }

            num = (num * 10) + (c - '0');
        }

        if (name[0] == '0' && name.Length > 1)
        {
            num = -1;
        }

        rest = i;
        return true;
    }

    private const string AsciiWord = "0-9A-Za-z_";
    private const string AsciiSpace = "\\t\\n\\f\\r ";

    private static readonly Dictionary<string, string> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = "\\x00-\\x7F",
        ["blank"] = "\\t ",
        ["cntrl"] = "\\x00-\\x1F\\x7F",
        ["digit"] = "0-9",
        ["graph"] = "!-~",
        ["lower"] = "a-z",
        ["print"] = " -~",
        ["punct"] = "!-/:-@\\[-`{-~",
        ["space"] = "\\t\\n\\v\\f\\r ",
        ["upper"] = "A-Z",
        ["word"] = AsciiWord,
        ["xdigit"] = "0-9A-Fa-f",
    };

    /// <summary>RE2 syntax to the .NET pattern that matches the same strings; null with Go's error text.</summary>
    internal static string? Translate(string pattern, out string? error)
    {
        error = null;
        var sb = new StringBuilder(pattern.Length + 16);
        bool multiline = false;
        int depth = 0;
        int i = 0;
        var repeat = Repeat.None;
        bool canRepeat = false;

        while (i < pattern.Length)
        {
            char c = pattern[i];
            switch (c)
            {
                case '\\':
                {
                    if (i + 1 >= pattern.Length)
                    {
                        error = "error parsing regexp: trailing backslash at end of expression: ``";
                        return null;
                    }

                    int consumed = TranslateEscape(pattern, i, sb, inClass: false, out string? escapeError);
                    if (escapeError is not null)
                    {
                        error = escapeError;
                        return null;
                    }

                    i += consumed;
                    repeat = Repeat.None;
                    canRepeat = true;
                    continue;
                }

                case '[':
                {
                    int consumed = TranslateClass(pattern, i, sb, out string? classError);
                    if (classError is not null)
                    {
                        error = classError;
                        return null;
                    }

                    i += consumed;
                    repeat = Repeat.None;
                    canRepeat = true;
                    continue;
                }

                case '(':
                {
                    if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                    {
                        // (?P<name>re), (?flags), (?flags:re); everything else is Perl syntax RE2 lacks.
                        if (i + 2 < pattern.Length && pattern[i + 2] == 'P' && i + 3 < pattern.Length && pattern[i + 3] == '<')
                        {
                            int close = pattern.IndexOf('>', i + 4);
                            string name = close < 0 ? string.Empty : pattern[(i + 4)..close];
                            if (close < 0 || name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
                            {
                                error = $"error parsing regexp: invalid named capture: `{(close < 0 ? pattern[i..] : pattern[i..(close + 1)])}`";
                                return null;
                            }

                            sb.Append("(?<").Append(name).Append('>');
                            i = close + 1;
                            depth++;
                            canRepeat = false;
                            repeat = Repeat.None;
                            continue;
                        }

                        int j = i + 2;
                        var flags = new StringBuilder();
                        bool negated = false;
                        while (j < pattern.Length && (pattern[j] is 'i' or 'm' or 's' or 'U' or '-'))
                        {
                            if (pattern[j] == '-')
                            {
                                if (negated)
                                {
                                    break;
                                }

                                negated = true;
                            }
                            else if (pattern[j] == 'U')
                            {
                                error = $"error parsing regexp: invalid or unsupported Perl syntax: `{pattern[i..(j + 1)]}`";
                                return null;
                            }
                            else if (pattern[j] == 'm')
                            {
                                multiline = !negated;
                            }

                            flags.Append(pattern[j]);
                            j++;
                        }

                        if (j < pattern.Length && (pattern[j] == ')' || pattern[j] == ':') && (flags.Length > 0 || pattern[j] == ':') && !(flags.Length > 0 && flags[^1] == '-'))
                        {
                            if (pattern[j] == ')')
                            {
                                sb.Append("(?").Append(flags).Append(')');
                                i = j + 1;
                                canRepeat = false;
                                repeat = Repeat.None;
                                continue;
                            }

                            sb.Append("(?").Append(flags).Append(':');
                            i = j + 1;
                            depth++;
                            canRepeat = false;
                            repeat = Repeat.None;
                            continue;
                        }

                        int end = Math.Min(pattern.Length, Math.Max(j + 1, i + 3));
                        error = $"error parsing regexp: invalid or unsupported Perl syntax: `{pattern[i..end]}`";
                        return null;
                    }

                    sb.Append('(');
                    depth++;
                    i++;
                    canRepeat = false;
                    repeat = Repeat.None;
                    continue;
                }

                case ')':
                    if (depth == 0)
                    {
                        error = $"error parsing regexp: unexpected ): `{pattern}`";
                        return null;
                    }

                    depth--;
                    sb.Append(')');
                    i++;
                    canRepeat = true;
                    repeat = Repeat.None;
                    continue;

                case '*' or '+' or '?':
                {
                    if (repeat != Repeat.None)
                    {
                        // a** and a*+ are errors in RE2; a*? is a lazy star, a*?? an error again.
                        if (c == '?' && repeat == Repeat.Greedy)
                        {
                            sb.Append('?');
                            i++;
                            repeat = Repeat.Lazy;
                            continue;
                        }

                        error = $"error parsing regexp: invalid nested repetition operator: `{pattern[(i - 1)..(i + 1)]}`";
                        return null;
                    }

                    if (!canRepeat)
                    {
                        error = $"error parsing regexp: missing argument to repetition operator: `{c}`";
                        return null;
                    }

                    sb.Append(c);
                    i++;
                    repeat = Repeat.Greedy;
                    continue;
                }

                case '{':
                {
                    if (TryRepeat(pattern, i, out int min, out int max, out int length))
                    {
                        if (min > 1000 || max > 1000 || (max >= 0 && max < min))
                        {
                            error = $"error parsing regexp: invalid repeat count: `{pattern[i..(i + length)]}`";
                            return null;
                        }

                        if (repeat != Repeat.None)
                        {
                            error = $"error parsing regexp: invalid nested repetition operator: `{pattern[i..(i + length)]}`";
                            return null;
                        }

                        if (!canRepeat)
                        {
                            error = $"error parsing regexp: missing argument to repetition operator: `{pattern[i..(i + length)]}`";
                            return null;
                        }

                        sb.Append(pattern, i, length);
                        i += length;
                        repeat = Repeat.Greedy;
                        continue;
                    }

                    sb.Append("\\{");
                    i++;
                    canRepeat = true;
                    repeat = Repeat.None;
                    continue;
                }

                case '$':
                    sb.Append(multiline ? "$" : "\\z");
                    i++;
                    canRepeat = false;
                    repeat = Repeat.None;
                    continue;

                case '|':
                    sb.Append('|');
                    i++;
                    canRepeat = false;
                    repeat = Repeat.None;
                    continue;

                case '^':
                    sb.Append('^');
                    i++;
                    canRepeat = false;
                    repeat = Repeat.None;
                    continue;

                case '.':
                    sb.Append('.');
                    i++;
                    canRepeat = true;
                    repeat = Repeat.None;
                    continue;

                case '#' or ' ' or '}' or ']':
                    sb.Append('\\').Append(c);
                    i++;
                    canRepeat = true;
                    repeat = Repeat.None;
                    continue;

                default:
                    sb.Append(c);
                    i++;
                    canRepeat = true;
                    repeat = Repeat.None;
                    continue;
            }
        }

        if (depth > 0)
        {
            error = $"error parsing regexp: missing closing ): `{pattern}`";
            return null;
        }

        return sb.ToString();
    }

    private enum Repeat
    {
        None,
        Greedy,
        Lazy,
    }

    private static bool TryRepeat(string p, int at, out int min, out int max, out int length)
    {
        min = max = -1;
        length = 0;
        int i = at + 1;
        int start = i;
        while (i < p.Length && char.IsAsciiDigit(p[i]))
        {
            i++;
        }

        if (i == start || i - start > 8)
        {
            return false;
        }

        min = int.Parse(p.AsSpan(start, i - start), CultureInfo.InvariantCulture);
        if (i < p.Length && p[i] == '}')
        {
            max = min;
            length = i + 1 - at;
            return true;
        }

        if (i >= p.Length || p[i] != ',')
        {
            return false;
        }

        i++;
        start = i;
        while (i < p.Length && char.IsAsciiDigit(p[i]))
        {
            i++;
        }

        if (i - start > 8 || i >= p.Length || p[i] != '}')
        {
            return false;
        }

        max = i == start ? -1 : int.Parse(p.AsSpan(start, i - start), CultureInfo.InvariantCulture);
        length = i + 1 - at;
        return true;
    }

    /// <summary>Translates the escape at <paramref name="at"/>; returns the characters consumed.</summary>
    private static int TranslateEscape(string p, int at, StringBuilder sb, bool inClass, out string? error)
    {
        error = null;
        char e = p[at + 1];
        switch (e)
        {
            case 'd': sb.Append(inClass ? "0-9" : "[0-9]"); return 2;
            case 'D': sb.Append(inClass ? "\\x00-/:-\\uFFFF" : "[^0-9]"); return 2;
            case 'w': sb.Append(inClass ? AsciiWord : $"[{AsciiWord}]"); return 2;
            case 'W': sb.Append(inClass ? "\\x00-/:-@\\[-^`{-\\uFFFF" : $"[^{AsciiWord}]"); return 2;
            case 's': sb.Append(inClass ? AsciiSpace : $"[{AsciiSpace}]"); return 2;
            case 'S': sb.Append(inClass ? "\\x00-\\x08\\x0B\\x0E-\\x1F!-\\uFFFF" : $"[^{AsciiSpace}]"); return 2;
            case 'b' when !inClass: sb.Append("\\b"); return 2;
            case 'B' when !inClass: sb.Append("\\B"); return 2;
            case 'A' when !inClass: sb.Append("\\A"); return 2;
            case 'z' when !inClass: sb.Append("\\z"); return 2;
            case 'a': sb.Append("\\a"); return 2;
            case 'f': sb.Append("\\f"); return 2;
            case 't': sb.Append("\\t"); return 2;
            case 'n': sb.Append("\\n"); return 2;
            case 'r': sb.Append("\\r"); return 2;
            case 'v': sb.Append("\\v"); return 2;
            case 'Q' when !inClass:
            {
                int end = p.IndexOf("\\E", at + 2, StringComparison.Ordinal);
                string literal = end < 0 ? p[(at + 2)..] : p[(at + 2)..end];
                sb.Append(Regex.Escape(literal).Replace("]", "\\]", StringComparison.Ordinal).Replace("}", "\\}", StringComparison.Ordinal));
                return end < 0 ? p.Length - at : end + 2 - at;
            }

            case 'x':
            {
                int i = at + 2;
                string hex;
                int consumed;
                if (i < p.Length && p[i] == '{')
                {
                    int close = p.IndexOf('}', i);
                    hex = close < 0 ? string.Empty : p[(i + 1)..close];
                    consumed = close < 0 ? 0 : close + 1 - at;
                }
                else
                {
                    hex = i + 2 <= p.Length ? p.Substring(i, 2) : string.Empty;
                    consumed = 4;
                }

                if (hex.Length == 0 || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code) || code > 0x10FFFF)
                {
                    error = $"error parsing regexp: invalid escape sequence: `{p[at..Math.Min(p.Length, at + 4)]}`";
                    return 0;
                }

                AppendLiteral(sb, code);
                return consumed;
            }

            case >= '0' and <= '7':
            {
                // Octal, up to three digits; a lone non-zero digit would be a backreference, which RE2 lacks.
                int i = at + 1;
                if (e != '0' && (i + 1 >= p.Length || p[i + 1] is < '0' or > '7'))
                {
                    error = $"error parsing regexp: invalid escape sequence: `\\{e}`";
                    return 0;
                }

                int code = 0;
                int n = 0;
                while (n < 3 && i < p.Length && p[i] is >= '0' and <= '7')
                {
                    code = (code * 8) + (p[i] - '0');
                    i++;
                    n++;
                }

                AppendLiteral(sb, code);
                return i - at;
            }

            case 'p' or 'P':
            {
                int i = at + 2;
                string name;
                int consumed;
                if (i < p.Length && p[i] == '{')
                {
                    int close = p.IndexOf('}', i);
                    if (close < 0)
                    {
                        error = $"error parsing regexp: invalid character class range: `{p[at..]}`";
                        return 0;
                    }

                    name = p[(i + 1)..close];
                    consumed = close + 1 - at;
                }
                else if (i < p.Length)
                {
                    name = p[i].ToString();
                    consumed = 3;
                }
                else
                {
                    error = $"error parsing regexp: invalid character class range: `{p[at..]}`";
                    return 0;
                }

                bool negate = e == 'P';
                if (name.StartsWith('^'))
                {
                    negate = !negate;
                    name = name[1..];
                }

                string? category = UnicodeClass(name);
                if (category is null)
                {
                    error = $"error parsing regexp: invalid character class range: `{p[at..(at + consumed)]}`";
                    return 0;
                }

                sb.Append(negate ? "\\P{" : "\\p{").Append(category).Append('}');
                return consumed;
            }

            default:
                if (e < 0x80 && !char.IsAsciiLetterOrDigit(e) && e != '_')
                {
                    // Escaped punctuation is itself.
                    sb.Append('\\').Append(e);
                    return 2;
                }

                error = $"error parsing regexp: invalid escape sequence: `\\{e}`";
                return 0;
        }
    }

    private static void AppendLiteral(StringBuilder sb, int code)
    {
        if (code < 0x10000)
        {
            sb.Append("\\u").Append(code.ToString("X4", CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append(Regex.Escape(char.ConvertFromUtf32(code)));
        }
    }

    private static string? UnicodeClass(string name) => name switch
    {
        "Any" => "L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Z}\\p{C",
        "L" or "Lu" or "Ll" or "Lt" or "Lm" or "Lo" or "M" or "Mn" or "Mc" or "Me" or "N" or "Nd" or "Nl" or "No"
            or "P" or "Pc" or "Pd" or "Ps" or "Pe" or "Pi" or "Pf" or "Po" or "S" or "Sm" or "Sc" or "Sk" or "So"
            or "Z" or "Zs" or "Zl" or "Zp" or "C" or "Cc" or "Cf" or "Cs" or "Co" => name,
        "Greek" => "IsGreekandCoptic",
        "Cyrillic" => "IsCyrillic",
        "Latin" => "IsBasicLatin}\\p{IsLatin-1Supplement}\\p{IsLatinExtended-A}\\p{IsLatinExtended-B",
        "Han" => "IsCJKUnifiedIdeographs",
        "Hangul" => "IsHangulSyllables",
        "Hiragana" => "IsHiragana",
        "Katakana" => "IsKatakana",
        "Arabic" => "IsArabic",
        "Hebrew" => "IsHebrew",
        "Thai" => "IsThai",
        _ => null,
    };

    /// <summary>Translates a bracket class starting at <paramref name="at"/>; returns the characters consumed.</summary>
    private static int TranslateClass(string p, int at, StringBuilder sb, out string? error)
    {
        error = null;
        int i = at + 1;
        var body = new StringBuilder();
        bool negated = false;
        if (i < p.Length && p[i] == '^')
        {
            negated = true;
            i++;
        }

        bool first = true;
        while (true)
        {
            if (i >= p.Length)
            {
                error = $"error parsing regexp: missing closing ]: `{p[at..]}`";
                return 0;
            }

            char c = p[i];
            if (c == ']' && !first)
            {
                i++;
                break;
            }

            first = false;
            if (c == '[' && i + 1 < p.Length && p[i + 1] == ':')
            {
                int close = p.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (close > 0)
                {
                    string name = p[(i + 2)..close];
                    bool neg = name.StartsWith('^');
                    if (neg)
                    {
                        name = name[1..];
                    }

                    if (!PosixClasses.TryGetValue(name, out string? ranges))
                    {
                        error = $"error parsing regexp: invalid character class range: `{p[i..(close + 2)]}`";
                        return 0;
                    }

                    if (neg)
                    {
                        // A negated POSIX class inside a class: .NET subtraction cannot be nested, so spell it out.
                        body.Append(Complement(ranges));
                    }
                    else
                    {
                        body.Append(ranges);
                    }

                    i = close + 2;
                    continue;
                }
            }

            if (c == '\\')
            {
                if (i + 1 >= p.Length)
                {
                    error = "error parsing regexp: trailing backslash at end of expression: ``";
                    return 0;
                }

                int consumed = TranslateEscape(p, i, body, inClass: true, out error);
                if (error is not null)
                {
                    return 0;
                }

                i += consumed;
                continue;
            }

            if (c == '-' && body.Length == 0)
            {
                body.Append("\\-");
                i++;
                continue;
            }

            if (c is '[' or '^')
            {
                body.Append('\\').Append(c);
                i++;
                continue;
            }

            if (c == '-' && i + 1 < p.Length && p[i + 1] == ']')
            {
                body.Append("\\-");
                i++;
                continue;
            }

            body.Append(c);
            i++;
        }

        sb.Append('[').Append(negated ? "^" : string.Empty).Append(body).Append(']');
        return i - at;
    }

    private static string Complement(string ranges)
    {
        // Ranges are ASCII; their complement within U+0000–U+FFFF as .NET class ranges.
        var set = new bool[128];
        var matches = Regex.Matches(ranges, @"(\\x[0-9A-F]{2}|\\[tnvfr]|\\[\[\]`\-^]|.)(?:-(\\x[0-9A-F]{2}|\\[\[\]`\-^]|.))?");
        foreach (Match m in matches)
        {
            int lo = Code(m.Groups[1].Value);
            int hi = m.Groups[2].Success ? Code(m.Groups[2].Value) : lo;
            for (int c = lo; c <= hi && c < 128; c++)
            {
                set[c] = true;
            }
        }

        var sb = new StringBuilder();
        for (int c = 0; c < 128; c++)
        {
            if (!set[c])
            {
                sb.Append("\\x").Append(c.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.Append("\\x80-\\uFFFF").ToString();

        static int Code(string s) => s switch
        {
            "\\t" => 9,
            "\\n" => 10,
            "\\v" => 11,
            "\\f" => 12,
            "\\r" => 13,
            _ when s.StartsWith("\\x", StringComparison.Ordinal) => int.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            _ when s.Length == 2 && s[0] == '\\' => s[1],
            _ => s[0],
        };
    }
}
