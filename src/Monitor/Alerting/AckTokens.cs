using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Monitor.Alerting;

/// <summary>
/// The signed acknowledgement links (docs/http-api.md): a token binds one alert's fingerprint to an expiry and is
/// signed with HMAC-SHA256 keyed by <c>server.ack_secret</c>. Layout (base64url): 16 ASCII fingerprint
/// characters, 8 bytes of big-endian expiry in Unix seconds, 32 bytes of MAC over the first 24.
/// </summary>
internal sealed class AckTokens(byte[] key)
{
    /// <summary>How long a link in a notification stays valid.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    private const int FingerprintLength = 16;
    private const int SignedLength = FingerprintLength + 8;

    public static AckTokens FromSecret(string secret) => new(Encoding.UTF8.GetBytes(secret));

    public string Create(string fingerprint, DateTimeOffset expires)
    {
        if (fingerprint.Length != FingerprintLength || !fingerprint.All(Uri.IsHexDigit))
        {
            throw new ArgumentException("fingerprint must be 16 hex digits", nameof(fingerprint));
        }

        var data = new byte[SignedLength + 32];
        Encoding.ASCII.GetBytes(fingerprint, data);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(FingerprintLength), expires.ToUnixTimeSeconds());
        HMACSHA256.HashData(key, data.AsSpan(0, SignedLength), data.AsSpan(SignedLength));
        return Base64Url(data);
    }

    /// <summary>The fingerprint the token is bound to, or null with the reason when it is forged, malformed or expired.</summary>
    public AckTokenCheck Validate(string token, DateTimeOffset now)
    {
        byte[]? data = FromBase64Url(token);
        if (data is null || data.Length != SignedLength + 32)
        {
            return new AckTokenCheck(AckTokenOutcome.Malformed, null, default);
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, data.AsSpan(0, SignedLength), mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, data.AsSpan(SignedLength)))
        {
            return new AckTokenCheck(AckTokenOutcome.Forged, null, default);
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(FingerprintLength)));
        if (now >= expires)
        {
            return new AckTokenCheck(AckTokenOutcome.Expired, null, expires);
        }

        return new AckTokenCheck(AckTokenOutcome.Valid, Encoding.ASCII.GetString(data, 0, FingerprintLength), expires);
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

/// <summary>The outcome of an ack token check, with the alert's fingerprint when it is valid.</summary>
internal sealed record AckTokenCheck(AckTokenOutcome Outcome, string? Fingerprint, DateTimeOffset Expires);
