using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace Monitor.GoCompat;

/// <summary>
/// The elementary functions as Prometheus computes them: Go 1.19's math package on amd64 (its assembly
/// <c>Exp</c> and <c>Log</c>, the Cephes and FreeBSD-msun algorithms of the others, and <c>Pow</c> by Frexp and
/// repeated squaring), so that <c>exp()</c>, <c>ln()</c>, <c>sin()</c>, <c>^</c> and the rest give promtool's
/// results to the last bit; .NET's own functions differ in the last place for a third of the inputs (measured
/// against promtool 2.42, see the equivalence suite). Square root, floor, ceiling and fmod are exactly rounded in
/// both, so <see cref="Math"/>'s serve.
/// </summary>
internal static class GoMath
{
    // Constants whose Go definitions are exact expressions rounded once (4/Pi, 3*Pi/4, 1/Ln2 …), by their bits.
    private static readonly double FourOverPi = BitConverter.Int64BitsToDouble(0x3ff45f306dc9c883);
    private static readonly double PiOver2 = BitConverter.Int64BitsToDouble(0x3ff921fb54442d18);
    private static readonly double PiOver4 = BitConverter.Int64BitsToDouble(0x3fe921fb54442d18);
    private static readonly double ThreePiOver4 = BitConverter.Int64BitsToDouble(0x4002d97c7f3321d2);
    private static readonly double OneOverLn2 = BitConverter.Int64BitsToDouble(0x3ff71547652b82fe);
    private static readonly double OneOverLn10 = BitConverter.Int64BitsToDouble(0x3fdbcb7b1526e50e);

    /// <summary>Go's amd64 Exp uses fused multiply-adds when the CPU has AVX2 and FMA; so does this.</summary>
    internal static bool UseFma { get; set; } = Avx2.IsSupported && Fma.IsSupported;

    private const int Shift = 52;
    private const long Mask = 0x7FF;
    private const int Bias = 1023;

    // ---- exp (Go's exp_amd64.s: a reduced argument, a Taylor series, four squarings) ----

    public static double Exp(double x)
    {
        const double log2E = 1.4426950408889634073599246810018920;
        const double ln2U = 0.69314718055966295651160180568695068359375;
        const double ln2L = 0.28235290563031577122588448175013436025525412068e-12;
        const double overflow = 7.09782712893384e+02;
        long bits = BitConverter.DoubleToInt64Bits(x);
        if ((bits & long.MaxValue) >= 0x7FF0000000000000)
        {
            // NaN or ±Inf: -Inf gives 0, the others themselves.
            return bits == unchecked((long)0xFFF0000000000000) ? 0 : x;
        }

        if (x > overflow)
        {
            return double.PositiveInfinity;
        }

        // CVTSD2SL: round to nearest even, as the current rounding mode does.
        int exponent = ToInt32Rounded(x * log2E);
        double k = exponent;
        double r;
        if (UseFma)
        {
            r = Math.FusedMultiplyAdd(-ln2U, k, x);
            r = Math.FusedMultiplyAdd(-ln2L, k, r);
            r *= 0.0625;
            double p = 2.4801587301587301587e-5;
            p = Math.FusedMultiplyAdd(p, r, 1.9841269841269841270e-4);
            p = Math.FusedMultiplyAdd(p, r, 1.3888888888888888889e-3);
            p = Math.FusedMultiplyAdd(p, r, 8.3333333333333333333e-3);
            p = Math.FusedMultiplyAdd(p, r, 4.1666666666666666667e-2);
            p = Math.FusedMultiplyAdd(p, r, 1.6666666666666666667e-1);
            p = Math.FusedMultiplyAdd(p, r, 0.5);
            p = Math.FusedMultiplyAdd(p, r, 1.0);
            r *= p;
            p = r + 2.0;
            r *= p;
            p = r + 2.0;
            r *= p;
            p = r + 2.0;
            r *= p;
            p = r + 2.0;
            r = Math.FusedMultiplyAdd(r, p, 1.0);
        }
        else
        {
            r = x - (ln2U * k);
            r -= ln2L * k;
            r *= 0.0625;
            double p = 2.4801587301587301587e-5 * r;
            p = (p + 1.9841269841269841270e-4) * r;
            p = (p + 1.3888888888888888889e-3) * r;
            p = (p + 8.3333333333333333333e-3) * r;
            p = (p + 4.1666666666666666667e-2) * r;
            p = (p + 1.6666666666666666667e-1) * r;
            p = (p + 0.5) * r;
            p += 1.0;
            r *= p;
            r *= r + 2.0;
            r *= r + 2.0;
            r *= r + 2.0;
            r *= r + 2.0;
            r += 1.0;
        }

        int biased = exponent + 0x3FF;
        if (biased <= 0)
        {
            // A subnormal result: scaled in two steps, as the assembly does.
            if (biased < -52)
            {
                return 0;
            }

            r *= BitConverter.Int64BitsToDouble((long)(biased + 0x3FE) << 52);
            return r * BitConverter.Int64BitsToDouble(1L << 52);
        }

        if (biased >= 0x7FF)
        {
            return double.PositiveInfinity;
        }

        return r * BitConverter.Int64BitsToDouble((long)biased << 52);
    }

    /// <summary>CVTSD2SL: to the nearest int32, ties to even; out of range (or NaN) is int.MinValue.</summary>
    private static int ToInt32Rounded(double v)
    {
        double rounded = Math.Round(v, MidpointRounding.ToEven);
        return rounded is >= int.MinValue and <= int.MaxValue ? (int)rounded : int.MinValue;
    }

    // ---- log (Go's log_amd64.s: the FreeBSD algorithm, with its own frexp that ignores denormals) ----

    public static double Log(double x)
    {
        const double hSqrt2 = 7.07106781186547524401e-01;
        const double ln2Hi = 6.93147180369123816490e-01;
        const double ln2Lo = 1.90821492927058770002e-10;
        const double l1 = 6.666666666666735130e-01;
        const double l2 = 3.999999999940941908e-01;
        const double l3 = 2.857142874366239149e-01;
        const double l4 = 2.222219843214978396e-01;
        const double l5 = 1.818357216161805012e-01;
        const double l6 = 1.531383769920937332e-01;
        const double l7 = 1.479819860511658591e-01;
        long bits = BitConverter.DoubleToInt64Bits(x);
        if ((bits & long.MaxValue) == 0)
        {
            return double.NegativeInfinity;
        }

        if (bits < 0)
        {
            return double.NaN;
        }

        if (bits >= 0x7FF0000000000000)
        {
            return x; // +Inf or NaN
        }

        double f1 = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFF) | 0x3FE0000000000000);
        double k = (int)(((bits >> 52) & 0x7FF) - 0x3FE);
        // The assembly's CMPSD (not-less-than) takes the step at f1 == sqrt(2)/2 too.
        if (f1 <= hSqrt2)
        {
            k -= 1;
            f1 *= 2;
        }

        double f = f1 - 1;
        double s = f / (2 + f);
        double s2 = s * s;
        double s4 = s2 * s2;
        double t1 = s2 * (l1 + (s4 * (l3 + (s4 * (l5 + (s4 * l7))))));
        double t2 = s4 * (l2 + (s4 * (l4 + (s4 * l6))));
        double rr = t1 + t2;
        double hfsq = 0.5 * f * f;
        return (k * ln2Hi) - ((hfsq - ((s * (hfsq + rr)) + (k * ln2Lo))) - f);
    }

    public static double Log10(double x) => Log(x) * OneOverLn10;

    public static double Log2(double x)
    {
        var (frac, exp) = Frexp(x);
        return frac == 0.5 ? exp - 1 : (Log(frac) * OneOverLn2) + exp;
    }

    public static double Log1p(double x)
    {
        const double sqrt2M1 = 4.142135623730950488017e-01;
        const double sqrt2HalfM1 = -2.928932188134524755992e-01;
        const double small = 1.0 / (1 << 29);
        const double tiny = 1.0 / (1L << 54);
        const double two53 = 1L << 53;
        const double ln2Hi = 6.93147180369123816490e-01;
        const double ln2Lo = 1.90821492927058770002e-10;
        const double lp1 = 6.666666666666735130e-01;
        const double lp2 = 3.999999999940941908e-01;
        const double lp3 = 2.857142874366239149e-01;
        const double lp4 = 2.222219843214978396e-01;
        const double lp5 = 1.818357216161805012e-01;
        const double lp6 = 1.531383769920937332e-01;
        const double lp7 = 1.479819860511658591e-01;
        if (x < -1 || double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x == -1)
        {
            return double.NegativeInfinity;
        }

        if (double.IsPositiveInfinity(x))
        {
            return double.PositiveInfinity;
        }

        double absx = Math.Abs(x);
        double f = 0;
        ulong iu = 0;
        int k = 1;
        if (absx < sqrt2M1)
        {
            if (absx < small)
            {
                return absx < tiny ? x : x - (x * x * 0.5);
            }

            if (x > sqrt2HalfM1)
            {
                k = 0;
                f = x;
                iu = 1;
            }
        }

        double c = 0;
        if (k != 0)
        {
            double u;
            if (absx < two53)
            {
                u = 1.0 + x;
                iu = (ulong)BitConverter.DoubleToInt64Bits(u);
                k = (int)((iu >> 52) - 1023);
                c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
                c /= u;
            }
            else
            {
                u = x;
                iu = (ulong)BitConverter.DoubleToInt64Bits(u);
                k = (int)((iu >> 52) - 1023);
                c = 0;
            }

            iu &= 0x000fffffffffffff;
            if (iu < 0x0006a09e667f3bcd)
            {
                u = BitConverter.Int64BitsToDouble((long)(iu | 0x3ff0000000000000));
            }
            else
            {
                k++;
                u = BitConverter.Int64BitsToDouble((long)(iu | 0x3fe0000000000000));
                iu = (0x0010000000000000 - iu) >> 2;
            }

            f = u - 1.0;
        }

        double hfsq = 0.5 * f * f;
        double r;
        if (iu == 0)
        {
            if (f == 0)
            {
                if (k == 0)
                {
                    return 0;
                }

                c += k * ln2Lo;
                return (k * ln2Hi) + c;
            }

            r = hfsq * (1.0 - (0.66666666666666666 * f));
            return k == 0 ? f - r : (k * ln2Hi) - ((r - ((k * ln2Lo) + c)) - f);
        }

        double s = f / (2.0 + f);
        double z = s * s;
        r = z * (lp1 + (z * (lp2 + (z * (lp3 + (z * (lp4 + (z * (lp5 + (z * (lp6 + (z * lp7))))))))))));
        return k == 0 ? f - (hfsq - (s * (hfsq + r))) : (k * ln2Hi) - ((hfsq - ((s * (hfsq + r)) + ((k * ln2Lo) + c))) - f);
    }

    // ---- pow (Go 1.19: special cases, then Exp(yf*Log(x)) times x**yi by squarings, scaled by Ldexp) ----

    public static double Pow(double x, double y)
    {
        if (y == 0 || x == 1)
        {
            return 1;
        }

        if (double.IsNaN(x) || double.IsNaN(y))
        {
            return double.NaN;
        }

        if (x == 0)
        {
            if (y < 0)
            {
                return IsOddInt(y) ? Math.CopySign(double.PositiveInfinity, x) : double.PositiveInfinity;
            }

            if (y > 0)
            {
                return IsOddInt(y) ? x : 0;
            }
        }

        if (double.IsInfinity(y))
        {
            if (x == -1)
            {
                return 1;
            }

            return (Math.Abs(x) < 1) == double.IsPositiveInfinity(y) ? 0 : double.PositiveInfinity;
        }

        if (double.IsInfinity(x))
        {
            if (double.IsNegativeInfinity(x))
            {
                return Pow(1 / x, -y); // Pow(-0, -y)
            }

            if (y < 0)
            {
                return 0;
            }

            if (y > 0)
            {
                return double.PositiveInfinity;
            }
        }

        if (y == 0.5)
        {
            return Math.Sqrt(x);
        }

        if (y == -0.5)
        {
            return 1 / Math.Sqrt(x);
        }

        var (yi, yf) = Modf(Math.Abs(y));
        if (yf != 0 && x < 0)
        {
            return double.NaN;
        }

        if (yi >= 9.223372036854775808e18)
        {
            // A large even integer: overflow or underflow for every x but -1 (1 was handled above).
            if (x == -1)
            {
                return 1;
            }

            return (Math.Abs(x) < 1) == (y > 0) ? 0 : double.PositiveInfinity;
        }

        double a1 = 1.0;
        int ae = 0;
        if (yf != 0)
        {
            if (yf > 0.5)
            {
                yf--;
                yi++;
            }

            a1 = Exp(yf * Log(x));
        }

        var (x1, xe) = Frexp(x);
        for (long i = (long)yi; i != 0; i >>= 1)
        {
            if (xe < -(1 << 12) || (1 << 12) < xe)
            {
                // xe would overflow the shift below; the final Ldexp under- or overflows anyway.
                ae += xe;
                break;
            }

            if ((i & 1) == 1)
            {
                a1 *= x1;
                ae += xe;
            }

            x1 *= x1;
            xe <<= 1;
            if (x1 < .5)
            {
                x1 += x1;
                xe--;
            }
        }

        if (y < 0)
        {
            a1 = 1 / a1;
            ae = -ae;
        }

        return Ldexp(a1, ae);
    }

    private static bool IsOddInt(double x)
    {
        var (xi, xf) = Modf(x);
        return xf == 0 && (GoInt64(xi) & 1) == 1;
    }

    /// <summary>Go's float64 → int64 conversion on amd64 (CVTTSD2SQ): truncation; NaN and out of range give MinValue.</summary>
    internal static long GoInt64(double v) =>
        double.IsNaN(v) || v >= 9.223372036854775808e18 || v < -9.223372036854775808e18 ? long.MinValue : (long)v;

    /// <summary>Go's math.Mod: the remainder of x/y with x's sign, found by repeated subtraction of scaled y.</summary>
    public static double Mod(double x, double y)
    {
        if (y == 0 || double.IsInfinity(x) || double.IsNaN(x) || double.IsNaN(y))
        {
            return double.NaN;
        }

        y = Math.Abs(y);
        var (yfr, yexp) = Frexp(y);
        double r = x < 0 ? -x : x;
        while (r >= y)
        {
            var (rfr, rexp) = Frexp(r);
            if (rfr < yfr)
            {
                rexp--;
            }

            r -= Ldexp(y, rexp - yexp);
        }

        return x < 0 ? -r : r;
    }

    public static (double Int, double Frac) Modf(double f)
    {
        double integer = Math.Truncate(f);
        return (integer, Math.CopySign(f - integer, f));
    }

    public static (double Frac, int Exp) Frexp(double f)
    {
        if (f == 0 || double.IsInfinity(f) || double.IsNaN(f))
        {
            return (f, 0);
        }

        var (normal, exp) = Normalize(f);
        long x = BitConverter.DoubleToInt64Bits(normal);
        exp += (int)((x >> Shift) & Mask) - Bias + 1;
        x &= ~(Mask << Shift);
        x |= (long)(-1 + Bias) << Shift;
        return (BitConverter.Int64BitsToDouble(x), exp);
    }

    public static double Ldexp(double frac, int exp)
    {
        if (frac == 0 || double.IsInfinity(frac) || double.IsNaN(frac))
        {
            return frac;
        }

        var (normal, e) = Normalize(frac);
        exp += e;
        long x = BitConverter.DoubleToInt64Bits(normal);
        exp += (int)((x >> Shift) & Mask) - Bias;
        if (exp < -1075)
        {
            return Math.CopySign(0, normal);
        }

        if (exp > 1023)
        {
            return normal < 0 ? double.NegativeInfinity : double.PositiveInfinity;
        }

        double m = 1;
        if (exp < -1022)
        {
            exp += 53;
            m = 1.0 / (1L << 53);
        }

        x &= ~(Mask << Shift);
        x |= (long)(exp + Bias) << Shift;
        return m * BitConverter.Int64BitsToDouble(x);
    }

    private static (double Value, int Exp) Normalize(double x)
    {
        const double smallestNormal = 2.2250738585072014e-308;
        return Math.Abs(x) < smallestNormal ? (x * (1L << 52), -52) : (x, 0);
    }

    // ---- trigonometry (Cephes, with Payne-Hanek reduction for huge arguments) ----

    private const double Pi4A = 7.85398125648498535156e-1;
    private const double Pi4B = 3.77489470793079817668e-8;
    private const double Pi4C = 2.69515142907905952645e-15;
    private const double ReduceThreshold = 1 << 29;

    private static readonly double[] SinCoefficients =
    [
        1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6,
        -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1,
    ];

    private static readonly double[] CosCoefficients =
    [
        -1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7,
        2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2,
    ];

    private static double SinSeries(double z, double zz) =>
        z + (z * zz * ((((((((((SinCoefficients[0] * zz) + SinCoefficients[1]) * zz) + SinCoefficients[2]) * zz) + SinCoefficients[3]) * zz) + SinCoefficients[4]) * zz) + SinCoefficients[5]));

    private static double CosSeries(double zz) =>
        1.0 - (0.5 * zz) + (zz * zz * ((((((((((CosCoefficients[0] * zz) + CosCoefficients[1]) * zz) + CosCoefficients[2]) * zz) + CosCoefficients[3]) * zz) + CosCoefficients[4]) * zz) + CosCoefficients[5]));

    /// <summary>The octant j and the reduced argument z of x ≥ 0, as Go's sin, cos and tan reduce it.</summary>
    private static (ulong J, double Z) Reduce(double x, bool mapToEven)
    {
        if (x >= ReduceThreshold)
        {
            return TrigReduce(x);
        }

        ulong j = (ulong)(x * FourOverPi);
        double y = j;
        if (mapToEven && (j & 1) == 1)
        {
            j++;
            y++;
        }

        return (j, ((x - (y * Pi4A)) - (y * Pi4B)) - (y * Pi4C));
    }

    public static double Sin(double x)
    {
        if (x == 0 || double.IsNaN(x))
        {
            return x;
        }

        if (double.IsInfinity(x))
        {
            return double.NaN;
        }

        bool sign = false;
        if (x < 0)
        {
            x = -x;
            sign = true;
        }

        var (j, z) = Reduce(x, mapToEven: true);
        if (x < ReduceThreshold)
        {
            j &= 7;
        }

        if (j > 3)
        {
            sign = !sign;
            j -= 4;
        }

        double zz = z * z;
        double y = j is 1 or 2 ? CosSeries(zz) : SinSeries(z, zz);
        return sign ? -y : y;
    }

    public static double Cos(double x)
    {
        if (double.IsNaN(x) || double.IsInfinity(x))
        {
            return double.NaN;
        }

        bool sign = false;
        x = Math.Abs(x);
        var (j, z) = Reduce(x, mapToEven: true);
        if (x < ReduceThreshold)
        {
            j &= 7;
        }

        if (j > 3)
        {
            j -= 4;
            sign = !sign;
        }

        if (j > 1)
        {
            sign = !sign;
        }

        double zz = z * z;
        double y = j is 1 or 2 ? SinSeries(z, zz) : CosSeries(zz);
        return sign ? -y : y;
    }

    public static double Tan(double x)
    {
        double[] p = [-1.30936939181383777646e4, 1.15351664838587416140e6, -1.79565251976484877988e7];
        double[] q = [1.00000000000000000000e0, 1.36812963470692954678e4, -1.32089234440210967447e6, 2.50083801823357915839e7, -5.38695755929454629881e7];
        if (x == 0 || double.IsNaN(x))
        {
            return x;
        }

        if (double.IsInfinity(x))
        {
            return double.NaN;
        }

        bool sign = false;
        if (x < 0)
        {
            x = -x;
            sign = true;
        }

        var (j, z) = Reduce(x, mapToEven: true);
        double zz = z * z;
        double y = zz > 1e-14
            ? z + (z * (zz * ((((p[0] * zz) + p[1]) * zz) + p[2]) / ((((((((zz + q[1]) * zz) + q[2]) * zz) + q[3]) * zz) + q[4]))))
            : z;
        if ((j & 2) == 2)
        {
            y = -1 / y;
        }

        return sign ? -y : y;
    }

    /// <summary>Payne-Hanek reduction by Pi/4 for x ≥ 2^29: the octant and the reduced argument.</summary>
    private static (ulong J, double Z) TrigReduce(double x)
    {
        if (x < PiOver4)
        {
            return (0, x);
        }

        ulong ix = (ulong)BitConverter.DoubleToInt64Bits(x);
        int exp = (int)((ix >> Shift) & Mask) - Bias - Shift;
        ix &= ~((ulong)Mask << Shift);
        ix |= 1UL << Shift;
        int digit = (exp + 61) / 64;
        int bitshift = (exp + 61) % 64;
        ulong z0 = (FourOverPiDigits[digit] << bitshift) | (bitshift == 0 ? 0 : FourOverPiDigits[digit + 1] >> (64 - bitshift));
        ulong z1 = (FourOverPiDigits[digit + 1] << bitshift) | (bitshift == 0 ? 0 : FourOverPiDigits[digit + 2] >> (64 - bitshift));
        ulong z2 = (FourOverPiDigits[digit + 2] << bitshift) | (bitshift == 0 ? 0 : FourOverPiDigits[digit + 3] >> (64 - bitshift));
        ulong z2hi = Math.BigMul(z2, ix, out _);
        ulong z1hi = Math.BigMul(z1, ix, out ulong z1lo);
        ulong z0lo = z0 * ix;
        ulong lo = z1lo + z2hi;
        ulong carry = lo < z1lo ? 1UL : 0UL;
        ulong hi = z0lo + z1hi + carry;
        ulong j = hi >> 61;
        hi = (hi << 3) | (lo >> 61);
        int lz = BitOperations.LeadingZeroCount(hi);
        ulong e = (ulong)(Bias - (lz + 1));
        hi = lz + 1 >= 64 ? lo : (hi << (lz + 1)) | (lo >> (64 - (lz + 1)));
        hi >>= 64 - Shift;
        hi |= e << Shift;
        double z = BitConverter.Int64BitsToDouble((long)hi);
        if ((j & 1) == 1)
        {
            j++;
            j &= 7;
            z--;
        }

        return (j, z * PiOver4);
    }

    // 4/pi in binary: 4/pi = Sum FourOverPiDigits[i]*2^(-64*i).
    private static readonly ulong[] FourOverPiDigits =
    [
        0x0000000000000001, 0x45f306dc9c882a53, 0xf84eafa3ea69bb81, 0xb6c52b3278872083, 0xfca2c757bd778ac3,
        0x6e48dc74849ba5c0, 0x0c925dd413a32439, 0xfc3bd63962534e7d, 0xd1046bea5d768909, 0xd338e04d68befc82,
        0x7323ac7306a673e9, 0x3908bf177bf25076, 0x3ff12fffbc0b301f, 0xde5e2316b414da3e, 0xda6cfd9e4f96136e,
        0x9e8c7ecd3cbfd45a, 0xea4f758fd7cbe2f6, 0x7a0e73ef14a525d4, 0xd7f6bf623f1aba10, 0xac06608df8f6d757,
    ];

    // ---- inverse trigonometry (Cephes atan, asin and acos by it) ----

    private static double XAtan(double x)
    {
        const double p0 = -8.750608600031904122785e-01;
        const double p1 = -1.615753718733365076637e+01;
        const double p2 = -7.500855792314704667340e+01;
        const double p3 = -1.228866684490136173410e+02;
        const double p4 = -6.485021904942025371773e+01;
        const double q0 = +2.485846490142306297962e+01;
        const double q1 = +1.650270098316988542046e+02;
        const double q2 = +4.328810604912902668951e+02;
        const double q3 = +4.853903996359136964868e+02;
        const double q4 = +1.945506571482613964425e+02;
        double z = x * x;
        z = z * ((((((((p0 * z) + p1) * z) + p2) * z) + p3) * z) + p4) / ((((((((z + q0) * z) + q1) * z) + q2) * z) + q3) * z + q4);
        return (x * z) + x;
    }

    private static double SAtan(double x)
    {
        const double morebits = 6.123233995736765886130e-17;
        const double tan3pio8 = 2.41421356237309504880;
        if (x <= 0.66)
        {
            return XAtan(x);
        }

        if (x > tan3pio8)
        {
            return PiOver2 - XAtan(1 / x) + morebits;
        }

        return PiOver4 + XAtan((x - 1) / (x + 1)) + (0.5 * morebits);
    }

    public static double Atan(double x) => x == 0 ? x : x > 0 ? SAtan(x) : -SAtan(-x);

    public static double Asin(double x)
    {
        if (x == 0)
        {
            return x;
        }

        bool sign = false;
        if (x < 0)
        {
            x = -x;
            sign = true;
        }

        if (x > 1)
        {
            return double.NaN;
        }

        double temp = Math.Sqrt(1 - (x * x));
        temp = x > 0.7 ? PiOver2 - SAtan(temp / x) : SAtan(x / temp);
        return sign ? -temp : temp;
    }

    public static double Acos(double x) => PiOver2 - Asin(x);

    public static double Atan2(double y, double x)
    {
        if (double.IsNaN(y) || double.IsNaN(x))
        {
            return double.NaN;
        }

        if (y == 0)
        {
            return x >= 0 && !double.IsNegative(x) ? Math.CopySign(0, y) : Math.CopySign(Math.PI, y);
        }

        if (x == 0)
        {
            return Math.CopySign(PiOver2, y);
        }

        if (double.IsInfinity(x))
        {
            if (double.IsPositiveInfinity(x))
            {
                return double.IsInfinity(y) ? Math.CopySign(PiOver4, y) : Math.CopySign(0, y);
            }

            return double.IsInfinity(y) ? Math.CopySign(ThreePiOver4, y) : Math.CopySign(Math.PI, y);
        }

        if (double.IsInfinity(y))
        {
            return Math.CopySign(PiOver2, y);
        }

        double q = Atan(y / x);
        if (x < 0)
        {
            return q <= 0 ? q + Math.PI : q - Math.PI;
        }

        return q;
    }

    // ---- hyperbolic functions ----

    public static double Sinh(double x)
    {
        const double p0 = -0.6307673640497716991184787251e+6;
        const double p1 = -0.8991272022039509355398013511e+5;
        const double p2 = -0.2894211355989563807284660366e+4;
        const double p3 = -0.2630563213397497062819489e+2;
        const double q0 = -0.6307673640497716991212077277e+6;
        const double q1 = 0.1521517378790019070696485176e+5;
        const double q2 = -0.173678953558233699533450911e+3;
        bool sign = false;
        if (x < 0)
        {
            x = -x;
            sign = true;
        }

        double temp;
        if (x > 21)
        {
            temp = Exp(x) * 0.5;
        }
        else if (x > 0.5)
        {
            double ex = Exp(x);
            temp = (ex - (1 / ex)) * 0.5;
        }
        else
        {
            double sq = x * x;
            temp = ((((((p3 * sq) + p2) * sq) + p1) * sq) + p0) * x;
            temp /= ((((sq + q2) * sq) + q1) * sq) + q0;
        }

        return sign ? -temp : temp;
    }

    public static double Cosh(double x)
    {
        x = Math.Abs(x);
        if (x > 21)
        {
            return Exp(x) * 0.5;
        }

        double ex = Exp(x);
        return (ex + (1 / ex)) * 0.5;
    }

    public static double Tanh(double x)
    {
        const double maxlog = 8.8029691931113054295988e+01;
        double[] p = [-9.64399179425052238628E-1, -9.92877231001918586564E1, -1.61468768441708447952E3];
        double[] q = [1.12811678491632931402E2, 2.23548839060100448583E3, 4.84406305325125486048E3];
        double z = Math.Abs(x);
        if (z > 0.5 * maxlog)
        {
            return x < 0 ? -1 : 1;
        }

        if (z >= 0.625)
        {
            double s = Exp(2 * z);
            z = 1 - (2 / (s + 1));
            return x < 0 ? -z : z;
        }

        if (x == 0)
        {
            return x;
        }

        double ss = x * x;
        return x + (x * ss * ((((p[0] * ss) + p[1]) * ss) + p[2]) / ((((((ss + q[0]) * ss) + q[1]) * ss) + q[2])));
    }

    public static double Asinh(double x)
    {
        const double ln2 = 6.93147180559945286227e-01;
        const double nearZero = 1.0 / (1 << 28);
        const double large = 1 << 28;
        if (double.IsNaN(x) || double.IsInfinity(x))
        {
            return x;
        }

        bool sign = false;
        if (x < 0)
        {
            x = -x;
            sign = true;
        }

        double temp = x > large ? Log(x) + ln2
            : x > 2 ? Log((2 * x) + (1 / (Math.Sqrt((x * x) + 1) + x)))
            : x < nearZero ? x
            : Log1p(x + (x * x / (1 + Math.Sqrt(1 + (x * x)))));
        return sign ? -temp : temp;
    }

    public static double Acosh(double x)
    {
        const double ln2 = 6.93147180559945286227e-01;
        const double large = 1 << 28;
        if (x < 1 || double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x == 1)
        {
            return 0;
        }

        if (x >= large)
        {
            return Log(x) + ln2;
        }

        if (x > 2)
        {
            return Log((2 * x) - (1 / (x + Math.Sqrt((x * x) - 1))));
        }

        double t = x - 1;
        return Log1p(t + Math.Sqrt((2 * t) + (t * t)));
    }

    public static double Atanh(double x)
    {
        const double nearZero = 1.0 / (1 << 28);
        if (x < -1 || x > 1 || double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x == 1)
        {
            return double.PositiveInfinity;
        }

        if (x == -1)
        {
            return double.NegativeInfinity;
        }

        bool sign = false;
        if (x < 0)
        {
            x = -x;
            sign = true;
        }

        double temp;
        if (x < nearZero)
        {
            temp = x;
        }
        else if (x < 0.5)
        {
            temp = x + x;
            temp = 0.5 * Log1p(temp + (temp * x / (1 - x)));
        }
        else
        {
            temp = 0.5 * Log1p((x + x) / (1 - x));
        }

        return sign ? -temp : temp;
    }
}
