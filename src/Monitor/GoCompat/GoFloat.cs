using System.Globalization;
using System.Text;

namespace Monitor.GoCompat;

/// <summary>
/// strconv.FormatFloat(v, fmt, -1, 64): the shortest decimal digits that read back as <c>v</c> (which .NET's
/// "R" also finds), laid out as Go lays them out for <c>'f'</c>, <c>'e'</c>, <c>'E'</c> and <c>'g'</c>.
/// </summary>
internal static class GoFloat
{
    /// <summary><c>'f'</c>: <c>0.000001</c>, <c>1000000000000000000000</c>.</summary>
    public static string FormatF(double v) => Special(v) ?? Layout(v, 'f');

    /// <summary><c>'E'</c>: <c>1.5E+00</c>, as promtool prints sample values.</summary>
    public static string FormatE(double v) => Special(v) ?? Layout(v, 'E');

    /// <summary><c>'e'</c>: <c>1.5e+00</c>.</summary>
    public static string Formate(double v) => Special(v) ?? Layout(v, 'e');

    /// <summary><c>'g'</c>: <c>%e</c> for exponents below -4 or from 6 on, else <c>%f</c> (so <c>%v</c> of 1e6 is <c>1e+06</c>).</summary>
    public static string FormatG(double v) => Special(v) ?? Layout(v, 'g');

    /// <summary><c>%.Nf</c>: the exact binary value rounded to <paramref name="precision"/> decimals, ties to even.</summary>
    public static string FormatFixed(double v, int precision)
    {
        if (Special(v) is { } special)
        {
            return special;
        }

        long bits = BitConverter.DoubleToInt64Bits(v);
        bool negative = bits < 0;
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0)
        {
            exponent = 1;
        }
        else
        {
            mantissa |= 1L << 52;
        }

        exponent -= 1075; // v = mantissa × 2^exponent
        var scaled = new System.Numerics.BigInteger(mantissa) * System.Numerics.BigInteger.Pow(10, precision);
        System.Numerics.BigInteger rounded;
        if (exponent >= 0)
        {
            rounded = scaled << exponent;
        }
        else
        {
            var divisor = System.Numerics.BigInteger.One << -exponent;
            rounded = System.Numerics.BigInteger.DivRem(scaled, divisor, out var remainder);
            var twice = remainder * 2;
            if (twice > divisor || (twice == divisor && !rounded.IsEven))
            {
                rounded += 1;
            }
        }

        string digits = rounded.ToString(CultureInfo.InvariantCulture).PadLeft(precision + 1, '0');
        string text = precision == 0 ? digits : digits[..^precision] + "." + digits[^precision..];
        return negative ? "-" + text : text;
    }

    private static string? Special(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : null;

    /// <summary>The shortest digits of |v| (no leading or trailing zeros) and the decimal point position: v = 0.DIGITS × 10^point.</summary>
    public static (bool Negative, string Digits, int Point) Shortest(double v)
    {
        bool negative = double.IsNegative(v);
        if (v == 0)
        {
            return (negative, "0", 1);
        }

        string shortest = Math.Abs(v).ToString("R", CultureInfo.InvariantCulture);
        int exponentAt = shortest.IndexOfAny(['E', 'e']);
        string mantissa = exponentAt >= 0 ? shortest[..exponentAt] : shortest;
        int exponent = exponentAt >= 0 ? int.Parse(shortest.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string fracPart = dot >= 0 ? mantissa[(dot + 1)..] : string.Empty;
        string all = intPart + fracPart;
        int point = intPart.Length + exponent;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0')
        {
            lead++;
        }

        all = all[lead..];
        point -= lead;
        all = all.TrimEnd('0');
        if (all.Length == 0)
        {
            all = "0";
        }

        return (negative, all, point);
    }

    private static string Layout(double v, char format)
    {
        var (negative, digits, point) = Shortest(v);
        var sb = new StringBuilder();
        if (negative)
        {
            sb.Append('-');
        }

        if (format == 'g')
        {
            int exp = point - 1;
            format = exp < -4 || exp >= 6 ? 'e' : 'f';
        }

        if (format == 'f')
        {
            if (point <= 0)
            {
                sb.Append("0.").Append('0', -point).Append(digits);
            }
            else if (point >= digits.Length)
            {
                sb.Append(digits).Append('0', point - digits.Length);
            }
            else
            {
                sb.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
            }

            return sb.ToString();
        }

        sb.Append(digits[0]);
        if (digits.Length > 1)
        {
            sb.Append('.').Append(digits, 1, digits.Length - 1);
        }

        int e = digits == "0" ? 0 : point - 1;
        sb.Append(format).Append(e < 0 ? '-' : '+');
        int abs = Math.Abs(e);
        sb.Append(abs < 10 ? "0" : string.Empty).Append(abs.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
