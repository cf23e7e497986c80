using System.Globalization;
using System.Text;

namespace Monitor.Checks.Kubernetes;

/// <summary>
/// Kubernetes resource quantities (<c>250m</c>, <c>128Mi</c>, <c>1.5G</c>, <c>1e3</c>) and the way
/// kube-state-metrics turns a resource name and quantity into its <c>resource</c>, <c>unit</c> and value:
/// CPU in cores (the milli-value over 1000), memory and storage in bytes, pods and extended resources as
/// integers, each value rounded up as <c>resource.Quantity</c>'s <c>Value()</c>/<c>MilliValue()</c> do.
/// </summary>
internal static class KubeQuantity
{
    /// <summary>The quantity's exact value, or null when it is not a Kubernetes quantity.</summary>
    public static decimal? Parse(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        int end = 0;
        if (end < text.Length && text[end] is '+' or '-')
        {
            end++;
        }

        int digits = end;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        if (end == digits || !decimal.TryParse(text.AsSpan(0, end), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number))
        {
            return null;
        }

        string suffix = text[end..];
        decimal multiplier;
        switch (suffix)
        {
            case "": multiplier = 1m; break;
            case "n": multiplier = 0.000000001m; break;
            case "u": multiplier = 0.000001m; break;
            case "m": multiplier = 0.001m; break;
            case "k": multiplier = 1_000m; break;
            case "M": multiplier = 1_000_000m; break;
            case "G": multiplier = 1_000_000_000m; break;
            case "T": multiplier = 1_000_000_000_000m; break;
            case "P": multiplier = 1_000_000_000_000_000m; break;
            case "E": multiplier = 1_000_000_000_000_000_000m; break;
            case "Ki": multiplier = 1L << 10; break;
            case "Mi": multiplier = 1L << 20; break;
            case "Gi": multiplier = 1L << 30; break;
            case "Ti": multiplier = 1L << 40; break;
            case "Pi": multiplier = 1L << 50; break;
            case "Ei": multiplier = 1L << 60; break;
            default:
                if (suffix.Length < 2 || suffix[0] is not ('e' or 'E') || !int.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int exponent) || exponent is < -18 or > 18
                    || !suffix[1..].All(c => char.IsAsciiDigit(c) || c is '+' or '-'))
                {
                    return null;
                }

                multiplier = exponent >= 0 ? Pow10(exponent) : 1m / Pow10(-exponent);
                break;
        }

        try
        {
            return number * multiplier;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static decimal Pow10(int exponent)
    {
        decimal result = 1m;
        for (int i = 0; i < exponent; i++)
        {
            result *= 10m;
        }

        return result;
    }

    /// <summary>
    /// kube-state-metrics' <c>(resource, unit, value)</c> for a resource of a container or node; null for a
    /// quantity that does not parse or a resource ksm leaves out.
    /// </summary>
    public static (string Resource, string Unit, double Value)? ToResourceUnitValue(string resourceName, string quantity, bool node)
    {
        if (Parse(quantity) is not { } value)
        {
            return null;
        }

        string resource = SanitizeLabelName(resourceName);
        switch (resourceName)
        {
            case "cpu":
                return (resource, "core", (double)decimal.Ceiling(value * 1000m) / 1000);
            case "memory" or "storage" or "ephemeral-storage":
                return (resource, "byte", (double)decimal.Ceiling(value));
            case "pods" when node:
                return (resource, "integer", (double)decimal.Ceiling(value));
        }

        if (resourceName.StartsWith("hugepages-", StringComparison.Ordinal) || resourceName.StartsWith("attachable-volumes-", StringComparison.Ordinal))
        {
            return (resource, "byte", (double)decimal.Ceiling(value));
        }

        return IsExtendedResourceName(resourceName) ? (resource, "integer", (double)decimal.Ceiling(value)) : null;
    }

    /// <summary>
    /// As Kubernetes' helper: not a native resource (no domain, or <c>kubernetes.io/</c>), not <c>requests.</c>-
    /// prefixed, and a valid qualified name (<c>nvidia.com/gpu</c>).
    /// </summary>
    private static bool IsExtendedResourceName(string name)
    {
        int slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || name.StartsWith("requests.", StringComparison.Ordinal))
        {
            return false;
        }

        string domain = name[..slash];
        if (domain == "kubernetes.io" || domain.EndsWith(".kubernetes.io", StringComparison.Ordinal))
        {
            return false;
        }

        string local = name[(slash + 1)..];
        return local.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(local[0]) && char.IsAsciiLetterOrDigit(local[^1])
            && local.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            && domain.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.');
    }

    /// <summary>Prometheus' label-name sanitizing: every character outside <c>[a-zA-Z0-9_]</c> becomes <c>_</c>.</summary>
    public static string SanitizeLabelName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.ToString();
    }
}
