namespace Monitor.Checks.Host;

/// <summary>One device of <c>/proc/diskstats</c>: its counters in the kernel's order, as many as it wrote.</summary>
internal sealed record DiskStatsLine(string Device, string Major, string Minor, double[] Counters);
