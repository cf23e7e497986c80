namespace Monitor.Scheduling;

/// <summary>
/// Pure schedule arithmetic. Checks that share an interval are spread evenly across it (offset i·interval/n,
/// ordered by a stable hash of the name), and each check runs at epoch-aligned instants
/// <c>k·interval + offset</c>, so its cadence does not drift however late a run starts.
/// </summary>
internal static class SchedulePlanner
{
    public static Dictionary<string, TimeSpan> Offsets(IEnumerable<(string Name, TimeSpan Interval)> checks)
    {
        var offsets = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var group in checks.GroupBy(c => c.Interval))
        {
            var ordered = group.OrderBy(c => StableHash(c.Name)).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
            for (int i = 0; i < ordered.Count; i++)
            {
                offsets[ordered[i].Name] = TimeSpan.FromTicks(group.Key.Ticks / ordered.Count * i);
            }
        }

        return offsets;
    }

    /// <summary>The first instant <c>k·interval + offset</c> at or after <paramref name="notBefore"/>.</summary>
    public static DateTimeOffset NextDue(DateTimeOffset notBefore, TimeSpan interval, TimeSpan offset)
    {
        long t = notBefore.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks - offset.Ticks;
        long k = t <= 0 ? -(-t / interval.Ticks) : ((t + interval.Ticks - 1) / interval.Ticks);
        return new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + (k * interval.Ticks) + offset.Ticks, TimeSpan.Zero);
    }

    /// <summary>FNV-1a of the name: the same on every run and runtime, unlike string.GetHashCode.</summary>
    public static uint StableHash(string name)
    {
        uint hash = 2166136261;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }
}
