using System.Globalization;

namespace Monitor.Checks.Host;

/// <summary>Numbers as the kernel writes them in /proc and /sys.</summary>
internal static class HostText
{
    public static double Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new FormatException($"\"{text}\" is not a number");
}
