using System.Text;

namespace Monitor.Configuration;

/// <summary>
/// Lets <c>${VAR}</c> stand anywhere, even in a YAML flow mapping (<c>{ dsn: ${DSN} }</c>, as docs/configuration.md writes
/// it), where its braces would otherwise be flow indicators. Before parsing, each well-formed reference's
/// <c>${</c> and <c>}</c> become private-use characters of the same length, so line and column numbers stay
/// right; scalars are restored and expanded when read. Values are never substituted into the text, so a
/// secret containing YAML syntax cannot change the document's structure.
/// </summary>
internal static class EnvReferences
{
    private const char Open1 = '\uE000';
    private const char Open2 = '\uE001';
    private const char Close = '\uE002';

    public static string Protect(string text)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text);
        for (int i = 0; i < sb.Length - 1; i++)
        {
            if (sb[i] != '$')
            {
                continue;
            }

            if (sb[i + 1] == '$')
            {
                i++; // "$$" is an escaped dollar: "$${X}" stays literal.
                continue;
            }

            if (sb[i + 1] != '{')
            {
                continue;
            }

            int j = i + 2;
            while (j < sb.Length && (char.IsAsciiLetterOrDigit(sb[j]) || sb[j] == '_'))
            {
                j++;
            }

            if (j < sb.Length && sb[j] == '}' && j > i + 2)
            {
                sb[i] = Open1;
                sb[i + 1] = Open2;
                sb[j] = Close;
                i = j;
            }
        }

        return sb.ToString();
    }

    public static string Restore(string text) =>
        text.AsSpan().IndexOfAny(Open1, Close) < 0
            ? text
            : text.Replace($"{Open1}{Open2}", "${", StringComparison.Ordinal).Replace(Close, '}');
}
