namespace Monitor.Checks.Host;

/// <summary>
/// <c>/proc/diskstats</c> (the kernel's Documentation/admin-guide/iostats.rst): major, minor, name, then 11
/// counters (kernels before 4.18), 15 (discards, 4.18) or 17 (flushes, 5.5).
/// </summary>
internal static class DiskStats
{
    public static List<DiskStatsLine> Parse(string text)
    {
        var disks = new List<DiskStatsLine>();
        foreach (string line in text.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0)
            {
                continue;
            }

            if (f.Length < 14)
            {
                throw new FormatException($"expected at least 14 fields in \"{line}\"");
            }

            disks.Add(new DiskStatsLine(f[2], f[0], f[1], [.. f.Skip(3).Select(HostText.Number)]));
        }

        return disks;
    }
}
