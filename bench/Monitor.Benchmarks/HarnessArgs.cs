using System.Globalization;

namespace Monitor.Benchmarks;

/// <summary>The harnesses' <c>--name value</c> options.</summary>
internal static class HarnessArgs
{
    public static int Int(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static string String(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
