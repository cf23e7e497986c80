namespace Monitor.Checks.Host;

/// <summary>A <c>/proc/pressure/&lt;resource&gt;</c> file: the <c>total=</c> of its <c>some</c> and <c>full</c> lines, in microseconds.</summary>
internal static class Pressure
{
    public static (double? Some, double? Full) Parse(string text)
    {
        double? some = null, full = null;
        foreach (string line in text.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0)
            {
                continue;
            }

            string? total = f.FirstOrDefault(x => x.StartsWith("total=", StringComparison.Ordinal));
            if (f[0] is not ("some" or "full") || total is null)
            {
                throw new FormatException($"unexpected line \"{line}\"");
            }

            double micros = HostText.Number(total["total=".Length..]);
            if (f[0] == "some")
            {
                some = micros;
            }
            else
            {
                full = micros;
            }
        }

        return (some, full);
    }
}
