using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Monitor.Alerting;

/// <summary>
/// The signed acknowledgement links (docs/http-api.md): a token binds one alert's fingerprint and its firing episode
/// (the incident: when this firing began) to an expiry and is signed with HMAC-SHA256 keyed by <c>server.ack_secret</c>,
/// so a link of an earlier incident of the same alert never acknowledges a later one. Layout (base64url): 16 ASCII
/// fingerprint characters, 8 bytes of big-endian episode start and 8 of expiry, both in Unix seconds, then 32 bytes
/// of MAC over the first 32. Links of the earlier layout (no episode, MAC over 24 bytes) are still read: they count
/// for the episode under way when they were issued (their expiry less <see cref="Lifetime"/>).
/// </summary>
internal sealed class AckTokens(byte[] key)
{
    /// <summary>How long a link in a notification stays valid.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    private const int FingerprintLength = 16;
    private const int SignedLength = FingerprintLength + 8 + 8;
    private const int LegacySignedLength = FingerprintLength + 8;

    public static AckTokens FromSecret(string secret) => new(Encoding.UTF8.GetBytes(secret));

    /// <summary>A link for the episode of <paramref name="fingerprint"/> that began firing at <paramref name="episode"/>.</summary>
    public string Create(string fingerprint, DateTimeOffset episode, DateTimeOffset expires)
    {
        CheckFingerprint(fingerprint);
        var data = new byte[SignedLength + 32];
        Encoding.ASCII.GetBytes(fingerprint, data);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(FingerprintLength), episode.ToUnixTimeSeconds());
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(FingerprintLength + 8), expires.ToUnixTimeSeconds());
        HMACSHA256.HashData(key, data.AsSpan(0, SignedLength), data.AsSpan(SignedLength));
        return Base64Url(data);
    }

    /// <summary>A link of the earlier layout, without an episode (links sent before the episode was bound).</summary>
    internal string CreateWithoutEpisode(string fingerprint, DateTimeOffset expires)
    {
        CheckFingerprint(fingerprint);
        var data = new byte[LegacySignedLength + 32];
        Encoding.ASCII.GetBytes(fingerprint, data);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(FingerprintLength), expires.ToUnixTimeSeconds());
        HMACSHA256.HashData(key, data.AsSpan(0, LegacySignedLength), data.AsSpan(LegacySignedLength));
        return Base64Url(data);
    }

    private static void CheckFingerprint(string fingerprint)
    {
        if (fingerprint.Length != FingerprintLength || !fingerprint.All(Uri.IsHexDigit))
        {
            throw new ArgumentException("fingerprint must be 16 hex digits", nameof(fingerprint));
        }
    }

    /// <summary>The fingerprint and episode the token is bound to, or null with the reason when it is forged, malformed or expired.</summary>
    public AckTokenCheck Validate(string token, DateTimeOffset now)
    {
        byte[]? data = FromBase64Url(token);
        int signed = data?.Length switch
        {
            SignedLength + 32 => SignedLength,
            LegacySignedLength + 32 => LegacySignedLength,
            _ => 0,
        };
        if (data is null || signed == 0)
        {
            return new AckTokenCheck(AckTokenOutcome.Malformed, null, default);
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, data.AsSpan(0, signed), mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, data.AsSpan(signed)))
        {
            return new AckTokenCheck(AckTokenOutcome.Forged, null, default);
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(signed - 8)));
        if (now >= expires)
        {
            return new AckTokenCheck(AckTokenOutcome.Expired, null, expires);
        }

        DateTimeOffset? episode = signed == SignedLength ? DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(FingerprintLength))) : null;
        return new AckTokenCheck(AckTokenOutcome.Valid, Encoding.ASCII.GetString(data, 0, FingerprintLength), expires) { Episode = episode };
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        if (text.Length > 200)
        {
            return null;
        }

        string padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>What a checked ack token is.</summary>
internal enum AckTokenOutcome
{
    Valid,

    /// <summary>Not a token of this format at all.</summary>
    Malformed,

    /// <summary>Well-formed, but not signed with this server's key.</summary>
    Forged,

    /// <summary>Signed by this server, past its expiry.</summary>
    Expired,
}

/// <summary>The outcome of an ack token check, with the alert's fingerprint (and episode) when it is valid.</summary>
internal sealed record AckTokenCheck(AckTokenOutcome Outcome, string? Fingerprint, DateTimeOffset Expires)
{
    /// <summary>When the firing episode the link was sent for began; null for a link of the earlier layout.</summary>
    public DateTimeOffset? Episode { get; init; }

    /// <summary>
    /// Whether the link is for the episode that began at <paramref name="episodeStart"/>: the same start (to the second);
    /// for a link without an episode, one issued after that episode began (an earlier episode ended before it did).
    /// </summary>
    public bool IsFor(DateTimeOffset episodeStart) => Episode is { } episode
        ? episode.ToUnixTimeSeconds() == episodeStart.ToUnixTimeSeconds()
        : episodeStart.ToUnixTimeSeconds() <= (Expires - AckTokens.Lifetime).ToUnixTimeSeconds();
}
