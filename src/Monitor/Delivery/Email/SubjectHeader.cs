using System.Text;
using MimeKit;

namespace Monitor.Delivery.Email;

/// <summary>
/// The Subject header, RFC 2047-encoded and folded within 78 columns. MimeKit (4.18) merges the words of a long
/// non-ASCII subject into encoded-words of up to ~80 characters on lines of 85 — over RFC 2047's 75-character
/// limit for an encoded-word, which strict readers then show undecoded. Here ASCII words stay as they are, runs
/// of words that need encoding become encoded-words of at most 69 characters (whole characters each, so every
/// one decodes alone), and the header is folded between them: every line fits 78 columns, the first
/// ("Subject: ") included.
/// </summary>
internal static class SubjectHeader
{
    /// <summary>
    /// The longest encoded-word or plain word written: RFC 2047 allows encoded-words of 75, but one of 69 fits
    /// the first line after "Subject: " within 78 columns, so the header never needs a line over 78.
    /// </summary>
    private const int MaxWord = MaxLine - 9;

    /// <summary>RFC 5322 2.1.1: lines should be at most 78 characters.</summary>
    private const int MaxLine = 78;

    private const string QPrefix = "=?utf-8?q?";
    private const string BPrefix = "=?utf-8?b?";

    public static void Set(MimeMessage message, string subject)
    {
        message.Subject = subject;
        if (subject.All(c => c is >= '!' and <= '~' or ' ') && !subject.Contains("=?", StringComparison.Ordinal) && subject.Split(' ').All(w => w.Length <= MaxWord))
        {
            return; // plain ASCII in words that fit: MimeKit folds it at spaces as it is
        }

        message.Headers.First(h => h.Id == HeaderId.Subject).SetRawValue(Encoding.ASCII.GetBytes(RawValue(subject) + "\n"));
    }

    /// <summary>The raw header value after "Subject:" (leading space included, lines split by LF, no final newline).</summary>
    internal static string RawValue(string subject) => Fold(Tokens(subject), "Subject:".Length);

    /// <summary>
    /// The subject as tokens separated by folding white space: plain ASCII words as they are, and each maximal
    /// run of other words (non-ASCII, too long, looking like an encoded-word, or empty from a double space)
    /// encoded, the spaces inside the run included in the encoding (white space between encoded-words is not
    /// part of the text).
    /// </summary>
    private static List<string> Tokens(string subject)
    {
        var tokens = new List<string>();
        var run = new List<string>();
        bool afterEmpty = false;
        foreach (string word in subject.Split(' '))
        {
            // An empty word (a double space) has no encoded-word of its own: the word after it joins the run.
            bool plain = IsPlain(word) && !afterEmpty;
            afterEmpty = word.Length == 0;
            if (plain)
            {
                if (run.Count > 0)
                {
                    tokens.AddRange(Encode(string.Join(' ', run)));
                    run.Clear();
                }

                tokens.Add(word);
            }
            else
            {
                run.Add(word);
            }
        }

        if (run.Count > 0)
        {
            tokens.AddRange(Encode(string.Join(' ', run)));
        }

        return tokens;
    }

    private static bool IsPlain(string word) =>
        word.Length is > 0 and <= MaxWord && word.All(c => c is >= '!' and <= '~') && !word.Contains("=?", StringComparison.Ordinal);

    /// <summary>Encoded-words for a text: Q when that is shorter (mostly ASCII), else B; split between characters.</summary>
    private static IEnumerable<string> Encode(string text)
    {
        var runes = text.EnumerateRunes().ToList();
        int qLength = runes.Sum(r => Q(r).Length);
        int bLength = (Encoding.UTF8.GetByteCount(text) + 2) / 3 * 4;
        return qLength <= bLength ? EncodeQ(runes) : EncodeB(runes);
    }

    private static IEnumerable<string> EncodeQ(List<Rune> runes)
    {
        int room = MaxWord - QPrefix.Length - 2;
        var word = new StringBuilder();
        foreach (var rune in runes)
        {
            string q = Q(rune);
            if (word.Length + q.Length > room)
            {
                yield return QPrefix + word + "?=";
                word.Clear();
            }

            word.Append(q);
        }

        if (word.Length > 0)
        {
            yield return QPrefix + word + "?=";
        }
    }

    /// <summary>One character in the Q encoding of RFC 2047 5(3) (the most restrictive, valid in any header).</summary>
    private static string Q(Rune rune)
    {
        if (rune.Value == ' ')
        {
            return "_";
        }

        if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || "!*+-/".Contains((char)rune.Value, StringComparison.Ordinal)))
        {
            return ((char)rune.Value).ToString();
        }

        Span<byte> bytes = stackalloc byte[4];
        int n = rune.EncodeToUtf8(bytes);
        var s = new StringBuilder(n * 3);
        foreach (byte b in bytes[..n])
        {
            s.Append('=').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return s.ToString();
    }

    private static List<string> EncodeB(List<Rune> runes)
    {
        // 42 bytes are 56 base64 characters: with "=?utf-8?b?" and "?=", 68 of the 69.
        const int MaxBytes = (MaxWord - 12) / 4 * 3;
        var bytes = new List<byte>();
        Span<byte> buffer = stackalloc byte[4];
        var words = new List<string>();
        foreach (var rune in runes)
        {
            int n = rune.EncodeToUtf8(buffer);
            if (bytes.Count + n > MaxBytes)
            {
                words.Add(BPrefix + Convert.ToBase64String([.. bytes]) + "?=");
                bytes.Clear();
            }

            bytes.AddRange(buffer[..n].ToArray());
        }

        if (bytes.Count > 0)
        {
            words.Add(BPrefix + Convert.ToBase64String([.. bytes]) + "?=");
        }

        return words;
    }

    /// <summary>Tokens joined by single spaces, a line break before any (but the first) that would pass column 78.</summary>
    private static string Fold(List<string> tokens, int used)
    {
        var value = new StringBuilder();
        int column = used;
        foreach (string token in tokens)
        {
            if (column + 1 + token.Length > MaxLine && value.Length > 0)
            {
                value.Append('\n');
                column = 0;
            }

            value.Append(' ').Append(token);
            column += 1 + token.Length;
        }

        return value.ToString();
    }
}
