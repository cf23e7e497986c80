using System.Globalization;
using Monitor.Metrics;

namespace Monitor.Checks.Host;

/// <summary>The kernel-wide parts: CPU times and counters, load, memory, file handles, pressure, uname, time.</summary>
internal sealed partial class HostCheck
{
    private static readonly string[] PressureResources = ["cpu", "io", "memory"];

    private async Task PublishStatAsync(CancellationToken cancellationToken)
    {
        var stat = ProcStat.Parse(await ReadAsync(Proc("stat"), cancellationToken));
        foreach (var cpu in _cpu.Update(stat.Cpus))
        {
            string id = cpu.Cpu.ToString(CultureInfo.InvariantCulture);
            void Mode(string mode, double seconds) =>
                _series.Counter("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", seconds, new Label("cpu", id), new Label("mode", mode));
            Mode("user", cpu.User);
            Mode("nice", cpu.Nice);
            Mode("system", cpu.System);
            Mode("idle", cpu.Idle);
            Mode("iowait", cpu.Iowait);
            Mode("irq", cpu.Irq);
            Mode("softirq", cpu.SoftIrq);
            Mode("steal", cpu.Steal);

            // Guest time is also counted in user and nice; node_exporter publishes it apart.
            const string GuestHelp = "Seconds the CPUs spent in guests (VMs) for each mode.";
            _series.Counter("node_cpu_guest_seconds_total", GuestHelp, cpu.Guest, new Label("cpu", id), new Label("mode", "user"));
            _series.Counter("node_cpu_guest_seconds_total", GuestHelp, cpu.GuestNice, new Label("cpu", id), new Label("mode", "nice"));
        }

        _series.Counter("node_intr_total", "Total number of interrupts serviced.", stat.Interrupts);
        _series.Counter("node_context_switches_total", "Total number of context switches.", stat.ContextSwitches);
        _series.Counter("node_forks_total", "Total number of forks.", stat.Forks);
        _series.Gauge("node_boot_time_seconds", "Node boot time, in unixtime.", stat.BootTime);
        _series.Gauge("node_procs_running", "Number of processes in runnable state.", stat.ProcsRunning);
        _series.Gauge("node_procs_blocked", "Number of processes blocked waiting for I/O to complete.", stat.ProcsBlocked);
    }

    private async Task PublishLoadAsync(CancellationToken cancellationToken)
    {
        var (one, five, fifteen) = LoadAverage.Parse(await ReadAsync(Proc("loadavg"), cancellationToken));
        _series.Gauge("node_load1", "1m load average.", one);
        _series.Gauge("node_load5", "5m load average.", five);
        _series.Gauge("node_load15", "15m load average.", fifteen);
    }

    private async Task PublishMemInfoAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, value) in MemInfo.Parse(await ReadAsync(Proc("meminfo"), cancellationToken)))
        {
            _series.Gauge("node_memory_" + name, $"Memory information field {name}.", value);
        }
    }

    private async Task PublishFileNrAsync(CancellationToken cancellationToken)
    {
        var (allocated, maximum) = FileNr.Parse(await ReadAsync(Proc("sys/fs/file-nr"), cancellationToken));
        _series.Gauge("node_filefd_allocated", "File descriptor statistics: allocated.", allocated);
        _series.Gauge("node_filefd_maximum", "File descriptor statistics: maximum.", maximum);
    }

    /// <summary>PSI (Linux 4.20+ with CONFIG_PSI): nothing at all when the kernel has none, as node_exporter.</summary>
    private async Task PublishPressureAsync(CancellationToken cancellationToken)
    {
        var totals = new List<(string Resource, double? Some, double? Full)>();
        foreach (string resource in PressureResources)
        {
            string path = Proc("pressure/" + resource);
            if (await ReadOptionalAsync(path, cancellationToken) is not { } text)
            {
                return;
            }

            try
            {
                var (some, full) = Pressure.Parse(text);
                totals.Add((resource, some, full));
            }
            catch (FormatException e)
            {
                throw new FormatException($"{resource}: {e.Message}", e);
            }
        }

        foreach (var (resource, some, full) in totals)
        {
            switch (resource)
            {
                case "cpu":
                    Seconds("node_pressure_cpu_waiting_seconds_total", "Total time in seconds that processes have waited for CPU time", some);
                    break;
                case "io":
                    Seconds("node_pressure_io_waiting_seconds_total", "Total time in seconds that processes have waited due to IO congestion", some);
                    Seconds("node_pressure_io_stalled_seconds_total", "Total time in seconds no process could make progress due to IO congestion", full);
                    break;
                case "memory":
                    Seconds("node_pressure_memory_waiting_seconds_total", "Total time in seconds that processes have waited for memory", some);
                    Seconds("node_pressure_memory_stalled_seconds_total", "Total time in seconds no process could make progress due to memory congestion", full);
                    break;
            }
        }

        void Seconds(string name, string help, double? micros) => _series.Counter(name, help, (micros ?? 0) / 1000.0 / 1000.0);
    }

    private Task PublishUname()
    {
        var u = _uname();
        _series.Gauge(
            "node_uname_info",
            "Labeled system information as provided by the uname system call.",
            1,
            new Label("domainname", u.DomainName),
            new Label("machine", u.Machine),
            new Label("nodename", u.NodeName),
            new Label("release", u.Release),
            new Label("sysname", u.SysName),
            new Label("version", u.Version));
        return Task.CompletedTask;
    }

    private async Task PublishTimeAsync(bool sysfs, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        _series.Gauge("node_time_seconds", "System time in seconds since epoch (1970).", (now - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond);
        string dir = Sys("devices/system/clocksource");
        if (!sysfs || !Directory.Exists(dir))
        {
            return;
        }

        // node_exporter numbers the clock sources by their place in the sorted listing.
        var sources = Directory.GetDirectories(dir, "clocksource*").Where(d => Path.GetFileName(d)["clocksource".Length..] is { Length: > 0 } n && n.All(char.IsAsciiDigit)).Order(StringComparer.Ordinal).ToList();
        for (int i = 0; i < sources.Count; i++)
        {
            string device = i.ToString(CultureInfo.InvariantCulture);
            string available = await ReadAsync(Path.Combine(sources[i], "available_clocksource"), cancellationToken);
            string current = await ReadAsync(Path.Combine(sources[i], "current_clocksource"), cancellationToken);
            foreach (string source in available.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                _series.Gauge("node_time_clocksource_available_info", "Available clocksources read from '/sys/devices/system/clocksource'.", 1, new Label("clocksource", source), new Label("device", device));
            }

            _series.Gauge("node_time_clocksource_current_info", "Current clocksource read from '/sys/devices/system/clocksource'.", 1, new Label("clocksource", current.Trim()), new Label("device", device));
        }
    }
}
