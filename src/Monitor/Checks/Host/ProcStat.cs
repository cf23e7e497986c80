using System.Globalization;

namespace Monitor.Checks.Host;

/// <summary><c>/proc/stat</c>: per-CPU times and the kernel's counters (proc(5)).</summary>
internal sealed record ProcStat(IReadOnlyList<CpuTimes> Cpus, double BootTime, double Interrupts, double ContextSwitches, double Forks, double ProcsRunning, double ProcsBlocked)
{
    /// <summary>USER_HZ, which the kernel's ABI fixes at 100 for /proc/stat on every architecture.</summary>
    public const double TicksPerSecond = 100;

    public static ProcStat Parse(string text)
    {
        var cpus = new List<CpuTimes>();
        double? bootTime = null;
        double interrupts = 0, contextSwitches = 0, forks = 0, running = 0, blocked = 0;
        foreach (string line in text.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2)
            {
                continue;
            }

            switch (f[0])
            {
                case "cpu":
                    break;
                case var c when c.StartsWith("cpu", StringComparison.Ordinal):
                    if (!int.TryParse(c.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int cpu))
                    {
                        throw new FormatException($"unexpected line \"{line}\"");
                    }

                    double Ticks(int i) => i < f.Length ? HostText.Number(f[i]) / TicksPerSecond : 0;
                    cpus.Add(new CpuTimes(cpu, Ticks(1), Ticks(2), Ticks(3), Ticks(4), Ticks(5), Ticks(6), Ticks(7), Ticks(8), Ticks(9), Ticks(10)));
                    break;
                case "btime":
                    bootTime = HostText.Number(f[1]);
                    break;
                case "intr":
                    interrupts = HostText.Number(f[1]);
                    break;
                case "ctxt":
                    contextSwitches = HostText.Number(f[1]);
                    break;
                case "processes":
                    forks = HostText.Number(f[1]);
                    break;
                case "procs_running":
                    running = HostText.Number(f[1]);
                    break;
                case "procs_blocked":
                    blocked = HostText.Number(f[1]);
                    break;
            }
        }

        if (bootTime is null || cpus.Count == 0)
        {
            throw new FormatException("no btime or no cpuN lines");
        }

        return new ProcStat(cpus, bootTime.Value, interrupts, contextSwitches, forks, running, blocked);
    }
}
