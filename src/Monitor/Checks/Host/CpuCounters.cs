namespace Monitor.Checks.Host;

/// <summary>
/// Keeps node_cpu_seconds_total from going backwards, as node_exporter does: some kernels report a CPU's
/// counter a little lower than before (rounding of iowait and idle). Each counter keeps its highest value; an
/// idle counter that drops by 3 s or more is taken for a CPU that went offline and came back (hotplug), and
/// that CPU starts over from what the kernel says.
/// </summary>
internal sealed class CpuCounters
{
    private const double JumpBackSeconds = 3.0;

    private readonly Dictionary<int, CpuTimes> _last = [];

    public IReadOnlyList<CpuTimes> Update(IReadOnlyList<CpuTimes> now)
    {
        if (_last.Count != now.Count || now.Any(c => !_last.ContainsKey(c.Cpu)))
        {
            _last.Clear();
        }

        var result = new List<CpuTimes>(now.Count);
        foreach (var n in now)
        {
            if (!_last.TryGetValue(n.Cpu, out var old) || old.Idle - n.Idle >= JumpBackSeconds)
            {
                old = new CpuTimes(n.Cpu, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            }

            var kept = new CpuTimes(
                n.Cpu,
                Math.Max(old.User, n.User),
                Math.Max(old.Nice, n.Nice),
                Math.Max(old.System, n.System),
                Math.Max(old.Idle, n.Idle),
                Math.Max(old.Iowait, n.Iowait),
                Math.Max(old.Irq, n.Irq),
                Math.Max(old.SoftIrq, n.SoftIrq),
                Math.Max(old.Steal, n.Steal),
                Math.Max(old.Guest, n.Guest),
                Math.Max(old.GuestNice, n.GuestNice));
            _last[n.Cpu] = kept;
            result.Add(kept);
        }

        return result;
    }
}
