using System.Text.RegularExpressions;

namespace Monitor.Checks.Host;

/// <summary>
/// <c>/proc/meminfo</c> under node_exporter's names: <c>Active(anon):  123 kB</c> becomes
/// <c>Active_anon_bytes</c> = 123·1024; a field without a unit (<c>HugePages_Total</c>) keeps its name and value.
/// </summary>
internal static partial class MemInfo
{
    public static List<(string Name, double Value)> Parse(string text)
    {
        var fields = new List<(string, double)>();
        foreach (string line in text.Split('\n'))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            if (parts.Length is < 2 or > 3 || !parts[0].EndsWith(':'))
            {
                throw new FormatException($"unexpected line \"{line}\"");
            }

            string name = Parens().Replace(parts[0][..^1], "_$1");
            double value = HostText.Number(parts[1]);
            fields.Add(parts.Length == 3 ? (name + "_bytes", value * 1024) : (name, value));
        }

        return fields;
    }

    [GeneratedRegex(@"\((.*)\)", RegexOptions.CultureInvariant)]
    private static partial Regex Parens();
}
