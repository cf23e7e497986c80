using System.Globalization;
using System.Text;

namespace Monitor.Templating;

/// <summary>
/// Go's float formatting (<c>%v</c>, <c>%g</c>, <c>%.4g</c>, <c>%e</c>; <c>%f</c> is GoCompat's GoFloat.FormatFixed), which Prometheus templates
/// and promtool print: annotations must read the same as they do under Prometheus.
/// </summary>
internal static class GoFormat
{
    /// <summary><c>%v</c> of a float64: <c>%g</c> with the shortest digits, so 1e6 prints as <c>1e+06</c>.</summary>
    public static string Value(double v) => G(v, -1);

    /// <summary><c>%g</c> (<paramref name="precision"/> -1 = shortest) or <c>%.Ng</c>.</summary>
    public static string G(double v, int precision)
    {
        if (Special(v) is { } special)
        {
            return special;
        }

        var (negative, digits, dp) = Digits(v, precision);
        int eprec = precision;
        if (precision < 0)
        {
            // strconv: "if precision was the shortest possible, use precision 6 for this decision".
            eprec = 6;
        }
        else if (eprec > digits.Length && digits.Length >= dp)
        {
            eprec = digits.Length;
        }

        int exp = dp - 1;
        string body = exp < -4 || exp >= eprec ? ExponentForm(digits, exp) : FixedForm(digits, dp);
        return negative ? "-" + body : body;
    }

    /// <summary><c>%.Ne</c> (6 by default).</summary>
    public static string E(double v, int precision)
    {
        if (Special(v) is { } special)
        {
            return special;
        }

        string s = v.ToString("E" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int e = s.IndexOf('E', StringComparison.Ordinal);
        int exponent = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return s[..e] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    private static string? Special(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : null;

    /// <summary>Significant digits without trailing zeros, and the decimal point position (Go's digs.dp).</summary>
    private static (bool Negative, string Digits, int DecimalPoint) Digits(double v, int precision)
    {
        bool negative = v < 0 || (v == 0 && double.IsNegative(v));
        v = Math.Abs(v);
        if (v == 0)
        {
            return (negative, "0", 1);
        }

        string s = precision < 0
            ? v.ToString("E16", CultureInfo.InvariantCulture)
            : v.ToString("E" + Math.Max(precision - 1, 0).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (precision < 0)
        {
            // Shortest round-trip digits: "R" gives them; re-read them in E form.
            string r = v.ToString("R", CultureInfo.InvariantCulture);
            s = double.Parse(r, CultureInfo.InvariantCulture).ToString("E" + Math.Max(CountSignificant(r) - 1, 0).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        int e = s.IndexOf('E', StringComparison.Ordinal);
        string mantissa = s[..e].Replace(".", string.Empty, StringComparison.Ordinal);
        int exponent = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        mantissa = mantissa.TrimEnd('0');
        return (negative, mantissa.Length == 0 ? "0" : mantissa, exponent + 1);
    }

    private static int CountSignificant(string r)
    {
        int e = r.IndexOfAny(['E', 'e']);
        string mantissa = (e >= 0 ? r[..e] : r).Replace(".", string.Empty, StringComparison.Ordinal).TrimStart('0').TrimEnd('0');
        return Math.Max(mantissa.Length, 1);
    }

    private static string ExponentForm(string digits, int exp)
    {
        var sb = new StringBuilder();
        sb.Append(digits[0]);
        if (digits.Length > 1)
        {
            sb.Append('.').Append(digits, 1, digits.Length - 1);
        }

        sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static string FixedForm(string digits, int dp)
    {
        if (dp <= 0)
        {
            return "0." + new string('0', -dp) + digits;
        }

        if (dp >= digits.Length)
        {
            return digits + new string('0', dp - digits.Length);
        }

        return digits[..dp] + "." + digits[dp..];
    }
}
