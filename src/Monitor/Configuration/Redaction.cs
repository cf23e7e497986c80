using System.Text.RegularExpressions;

namespace Monitor.Configuration;

/// <summary>
/// Credentials in URLs, hidden wherever a URL is shown (<c>/api/v1/checks</c>, failure messages, logs): the
/// password of <c>https://user:secret@host/</c> becomes <c>xxxxx</c>, as Prometheus shows secrets and Go's
/// <c>url.Redacted</c> does. A user without a password is shown as it is.
/// </summary>
internal static partial class Redaction
{
    public const string Mask = "xxxxx";

    /// <summary><paramref name="url"/> as text, its password replaced by <see cref="Mask"/>.</summary>
    public static string Url(Uri url) => Text(url.ToString());

    /// <summary>Every <c>scheme://user:password@</c> in <paramref name="text"/> with its password masked.</summary>
    public static string Text(string? text) =>
        string.IsNullOrEmpty(text) || !text.Contains('@', StringComparison.Ordinal) ? text ?? string.Empty : UserInfo().Replace(text, m => $"{m.Groups[1].Value}:{Mask}@");

    // scheme://user:password@ — user and password without "/", "@" or whitespace (a password may hold ":").
    [GeneratedRegex(@"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^/@:\s]*):[^/@\s]*@", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UserInfo();
}
