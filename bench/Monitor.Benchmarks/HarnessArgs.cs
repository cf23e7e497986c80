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
}
