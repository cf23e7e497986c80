using System.Globalization;
using System.Text;

namespace Monitor.Alerting;

/// <summary>
/// Alertmanager's alert fingerprint (prometheus/common model.LabelSet.Fingerprint): FNV-1a 64 over the label
/// names in order, each name and value followed by the byte 0xff, printed as 16 hex digits. Using the same
/// function means an alert has the same fingerprint in Monitor and in an Alertmanager it is pushed to.
/// </summary>
internal static class Fingerprint
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static string Of(IReadOnlyDictionary<string, string> labels)
    {
        ulong hash = Offset;
        foreach (var name in labels.Keys.Order(StringComparer.Ordinal))
        {
            hash = Add(hash, name);
            hash = AddByte(hash, 0xff);
            hash = Add(hash, labels[name]);
            hash = AddByte(hash, 0xff);
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The fingerprint of an alert received on the Alertmanager webhook: always computed here from its labels (never
    /// the sender's <c>fingerprint</c>), and in a namespace of its own, so that no payload can name, rewrite or resolve
    /// an alert of Monitor's rules, even one with the very same labels.
    /// </summary>
    public static string OfWebhook(IReadOnlyDictionary<string, string> labels)
    {
        ulong hash = AddByte(Add(Offset, "alertmanager-webhook"), 0xfe);
        foreach (var name in labels.Keys.Order(StringComparer.Ordinal))
        {
            hash = Add(hash, name);
            hash = AddByte(hash, 0xff);
            hash = Add(hash, labels[name]);
            hash = AddByte(hash, 0xff);
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>A short stable hash of any text (group keys in dedup keys).</summary>
    public static string OfText(string text) => Add(Offset, text).ToString("x16", CultureInfo.InvariantCulture);

    private static ulong Add(ulong hash, string text)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = AddByte(hash, b);
        }

        return hash;
    }

    private static ulong AddByte(ulong hash, byte b) => (hash ^ b) * Prime;
}
