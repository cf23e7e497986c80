using Monitor.Checks;
using Monitor.Checks.Host;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Host;

/// <summary>The host check over copies of a real machine's /proc and /sys (tests/fixtures/host).</summary>
public sealed class HostCheckTests : IDisposable
{
    private static readonly UnameInfo Uname = new("Linux", "6.18.44", "#1 SMP PREEMPT_DYNAMIC", "x86_64", "vm", "(none)");

    private readonly List<string> _temp = [];

    private static string Fixtures => Path.Combine(Repository.Root, "tests", "fixtures", "host");

    private static CheckOptions Options(HostCheckOptions host, Dictionary<string, string>? labels = null) =>
        new() { Name = "host", Kind = HostCheck.Kind, Settings = host, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5), Labels = labels ?? [] };

    private static HostCheckOptions FixtureOptions(string? procfs = null) =>
        new() { Procfs = procfs ?? Path.Combine(Fixtures, "proc"), Sysfs = Path.Combine(Fixtures, "sys"), UdevData = Path.Combine(Fixtures, "udev") };

    private static (HostCheck Check, SeriesStore Store) Create(HostCheckOptions host, Dictionary<string, string>? labels = null, TimeProvider? time = null)
    {
        var store = new SeriesStore();
        var scope = new SeriesScope(store, "host", labels ?? []);
        return (new HostCheck(Options(host, labels), scope, time ?? TimeProvider.System, () => Uname), store);
    }

    /// <summary>A copy of the procfs fixture that a test may change.</summary>
    private string CopyOfProc()
    {
        string dir = Path.Combine(Path.GetTempPath(), "host-proc-" + Guid.NewGuid().ToString("N")[..8]);
        _temp.Add(dir);
        string source = Path.Combine(Fixtures, "proc");
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(dir, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return dir;
    }

    public void Dispose()
    {
        foreach (string dir in _temp)
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Run_Fixture_PublishesNodeExportersNamesAndValues()
    {
        var (check, store) = Create(FixtureOptions(), new() { ["team"] = "ops" });
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Exposition.Samples(store);
        string L(string labels = "") => labels.Length == 0 ? "{check=\"host\",team=\"ops\"}" : $"{{check=\"host\",team=\"ops\",{labels}}}";

        // /proc/stat: "cpu0 5153 0 1793 39662 30 0 6 16 0 0" in USER_HZ ticks.
        Assert.Equal("51.53", s["node_cpu_seconds_total" + L("cpu=\"0\",mode=\"user\"")]);
        Assert.Equal("396.62", s["node_cpu_seconds_total" + L("cpu=\"0\",mode=\"idle\"")]);
        Assert.Equal("0.16", s["node_cpu_seconds_total" + L("cpu=\"0\",mode=\"steal\"")]);
        Assert.Equal("0", s["node_cpu_guest_seconds_total" + L("cpu=\"1\",mode=\"nice\"")]);
        Assert.Equal(2 * 8, s.Keys.Count(k => k.StartsWith("node_cpu_seconds_total{", StringComparison.Ordinal)));
        Assert.Equal("1796172589", s["node_boot_time_seconds" + L()]);
        Assert.Equal("506268", s["node_context_switches_total" + L()]);
        Assert.Equal("5529", s["node_forks_total" + L()]);
        Assert.Equal("1", s["node_procs_running" + L()]);
        Assert.Contains("node_intr_total" + L(), s.Keys);

        Assert.Equal("0.72", s["node_load1" + L()]);
        Assert.Equal("0.45", s["node_load5" + L()]);
        Assert.Equal("0.19", s["node_load15" + L()]);

        // Every meminfo field, kB as bytes, parentheses as node_exporter writes them; no unit, no suffix.
        Assert.Equal((24683652.0 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), s["node_memory_MemTotal_bytes" + L()]);
        Assert.Equal((24327144.0 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), s["node_memory_MemAvailable_bytes" + L()]);
        Assert.Equal("5591040", s["node_memory_Buffers_bytes" + L()]);
        Assert.Equal("1556480", s["node_memory_Active_anon_bytes" + L()]);
        Assert.Equal("0", s["node_memory_HugePages_Total" + L()]);
        Assert.Equal("0", s["node_memory_SwapFree_bytes" + L()]);
        int meminfoLines = File.ReadAllLines(Path.Combine(Fixtures, "proc", "meminfo")).Count(l => l.Length > 0);
        Assert.Equal(meminfoLines, s.Keys.Count(k => k.StartsWith("node_memory_", StringComparison.Ordinal)));

        Assert.Equal("115784934", s["node_network_receive_bytes_total" + L("device=\"eth0\"")]);
        Assert.Equal("2044", s["node_network_transmit_packets_total" + L("device=\"eth0\"")]);
        Assert.Equal("0", s["node_network_receive_drop_total" + L("device=\"eth0\"")]);
        Assert.Equal("0", s["node_network_transmit_colls_total" + L("device=\"lo\"")]);
        Assert.Equal(16, s.Keys.Count(k => k.StartsWith("node_network_", StringComparison.Ordinal) && k.Contains("device=\"ifb0\"", StringComparison.Ordinal)));
        Assert.Equal("0", s["node_network_receive_nohandler_total" + L("device=\"eth0\"")]);
        Assert.DoesNotContain("node_network_receive_nohandler_total" + L("device=\"ifb0\""), s.Keys); // no sysfs entry in the fixture

        Assert.Equal("379", s["node_filefd_allocated" + L()]);
        Assert.Equal("2466165", s["node_filefd_maximum" + L()]);

        // PSI totals are microseconds.
        Assert.Equal("27.869285", s["node_pressure_cpu_waiting_seconds_total" + L()]);
        Assert.Contains("node_pressure_io_stalled_seconds_total" + L(), s.Keys);
        Assert.Contains("node_pressure_memory_waiting_seconds_total" + L(), s.Keys);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("node_pressure_cpu_stalled", StringComparison.Ordinal)); // node_exporter 1.5 has no cpu "full"

        Assert.Equal("1", s["node_uname_info" + L("domainname=\"(none)\",machine=\"x86_64\",nodename=\"vm\",release=\"6.18.44\",sysname=\"Linux\",version=\"#1 SMP PREEMPT_DYNAMIC\"")]);
        Assert.Equal("1", s["node_time_clocksource_current_info" + L("clocksource=\"tsc\",device=\"0\"")]);
        Assert.Equal("1", s["node_time_clocksource_available_info" + L("clocksource=\"kvm-clock\",device=\"0\"")]);
        Assert.Contains("node_time_seconds" + L(), s.Keys);

        Assert.DoesNotContain(s.Keys, k => !k.Contains("check=\"host\",team=\"ops\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_Fixture_DisksAsNodeExporter_PartitionsLoopAndRamExcluded_OlderKernelsFewerCounters()
    {
        var (check, store) = Create(FixtureOptions());
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var s = Exposition.Samples(store);
        var devices = s.Keys.Where(k => k.StartsWith("node_disk_reads_completed_total{", StringComparison.Ordinal))
            .Select(k => k[(k.IndexOf("device=\"", StringComparison.Ordinal) + 8)..k.LastIndexOf('"')]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["nvme0n1", "sda", "vda", "zram0"], devices);

        // "254 0 vda 13773 4431 1563386 13132 2556 8507 3290352 9461 0 3288 22818 3250 48 47408 223 18 0" (kernel 6.18: 17 counters).
        string vda = "{check=\"host\",device=\"vda\"}";
        Assert.Equal("13773", s["node_disk_reads_completed_total" + vda]);
        Assert.Equal((1563386.0 * 512).ToString(System.Globalization.CultureInfo.InvariantCulture), s["node_disk_read_bytes_total" + vda]);
        Assert.Equal((3290352.0 * 512).ToString(System.Globalization.CultureInfo.InvariantCulture), s["node_disk_written_bytes_total" + vda]);
        // Milliseconds times 0.001, as node_exporter computes (and prints) it.
        Assert.Equal("3.2880000000000003", s["node_disk_io_time_seconds_total" + vda]);
        Assert.Equal("22.818", s["node_disk_io_time_weighted_seconds_total" + vda]);
        Assert.Equal("0", s["node_disk_io_now" + vda]);
        Assert.Equal("47408", s["node_disk_discarded_sectors_total" + vda]);
        Assert.Equal("18", s["node_disk_flush_requests_total" + vda]);
        Assert.Equal(17, s.Keys.Count(k => k.StartsWith("node_disk_", StringComparison.Ordinal) && k.EndsWith(vda, StringComparison.Ordinal)));
        Assert.Equal("1", s["node_disk_info{check=\"host\",device=\"vda\",major=\"254\",minor=\"0\",model=\"\",path=\"\",revision=\"\",serial=\"\",wwn=\"\"}"]);

        // sda: 11 counters (kernel < 4.18) and a udev entry.
        string sda = "{check=\"host\",device=\"sda\"}";
        Assert.Equal("0.009000000000000001", s["node_disk_io_time_seconds_total" + sda]);
        Assert.DoesNotContain("node_disk_discards_completed_total" + sda, s.Keys);
        Assert.DoesNotContain("node_disk_flush_requests_total" + sda, s.Keys);
        Assert.Equal("1", s["node_disk_info{check=\"host\",device=\"sda\",major=\"8\",minor=\"0\",model=\"WDC_WD40EFRX-68N32N0\",path=\"pci-0000:00:17.0-ata-1\",revision=\"82.00A82\",serial=\"WD-WCC7K1234567\",wwn=\"0x50014ee2b5c1d2e3\"}"]);
        Assert.Equal("1", s["node_disk_filesystem_info{check=\"host\",device=\"sda\",type=\"LVM2_member\",usage=\"raid\",uuid=\"aBcDeF-1234-5678\",version=\"LVM2 001\"}"]);
        Assert.Equal("5400", s["node_disk_ata_rotation_rate_rpm" + sda]);
        Assert.Equal("1", s["node_disk_ata_write_cache_enabled" + sda]);
    }

    [Fact]
    public async Task Run_Fixture_HelpAndTypeAreNodeExporters()
    {
        var (check, store) = Create(FixtureOptions());
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        string text = Exposition.Text(store);
        Assert.Contains("# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n", text);
        Assert.Contains("# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\n", text);
        Assert.Contains("# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.\n# TYPE node_memory_MemAvailable_bytes gauge\n", text);
        Assert.Contains("# HELP node_network_receive_errs_total Network device statistic receive_errs.\n# TYPE node_network_receive_errs_total counter\n", text);
        Assert.Contains("# HELP node_disk_io_time_seconds_total Total seconds spent doing I/Os.\n# TYPE node_disk_io_time_seconds_total counter\n", text);
        Assert.Contains("# HELP node_boot_time_seconds Node boot time, in unixtime.\n# TYPE node_boot_time_seconds gauge\n", text);
        Assert.Contains("# HELP node_filefd_allocated File descriptor statistics: allocated.\n# TYPE node_filefd_allocated gauge\n", text);
        Assert.Contains("# HELP node_pressure_memory_stalled_seconds_total Total time in seconds no process could make progress due to memory congestion\n# TYPE node_pressure_memory_stalled_seconds_total counter\n", text);
        Assert.Contains("# HELP node_uname_info Labeled system information as provided by the uname system call.\n# TYPE node_uname_info gauge\n", text);
    }

    [Fact]
    public async Task Run_TimeSeconds_IsTheInjectedClock()
    {
        var (check, store) = Create(FixtureOptions(), time: new FixedTime(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_250)));
        await check.RunAsync(CancellationToken.None);
        Assert.Equal("1700000000.25", Exposition.Samples(store)["node_time_seconds{check=\"host\"}"]);
    }

    [Fact]
    public async Task Run_ProcfsMissing_FailsUnreadable_AndLeavesNoSeries()
    {
        string proc = CopyOfProc();
        var (check, store) = Create(FixtureOptions(proc));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Directory.Delete(proc, recursive: true);
        _temp.Remove(proc);

        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Unreadable, result.Reason);
        Assert.Equal($"procfs {proc} is not a readable directory (mount the host's /proc there, or set host.procfs)", result.Error);
        Assert.Empty(Exposition.Samples(store));
    }

    [Fact]
    public async Task Run_OneFileMissing_OthersStillPublished_ItsSeriesRemoved()
    {
        string proc = CopyOfProc();
        var (check, store) = Create(FixtureOptions(proc));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        File.Delete(Path.Combine(proc, "meminfo"));

        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Unreadable, result.Reason);
        Assert.Equal($"{Path.Combine(proc, "meminfo")}: no such file", result.Error);
        var s = Exposition.Samples(store);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("node_memory_", StringComparison.Ordinal));
        Assert.Contains("node_load1{check=\"host\"}", s.Keys);
        Assert.Contains("node_disk_read_bytes_total{check=\"host\",device=\"vda\"}", s.Keys);
    }

    [Fact]
    public async Task Run_GarbledFile_FailsParse_NamingTheFile()
    {
        string proc = CopyOfProc();
        await File.WriteAllTextAsync(Path.Combine(proc, "loadavg"), "0.1 high 0.3 1/2 3\n");
        var (check, _) = Create(FixtureOptions(proc));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Parse, result.Reason);
        Assert.Equal($"{Path.Combine(proc, "loadavg")}: \"high\" is not a number", result.Error);
    }

    [Fact]
    public async Task Run_NoPsi_NoPressureSeries_AndSucceeds()
    {
        string proc = CopyOfProc();
        Directory.Delete(Path.Combine(proc, "pressure"), recursive: true);
        var (check, store) = Create(FixtureOptions(proc));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        Assert.DoesNotContain(Exposition.Samples(store).Keys, k => k.StartsWith("node_pressure_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_DeviceGone_ItsSeriesGo()
    {
        string proc = CopyOfProc();
        var (check, store) = Create(FixtureOptions(proc));
        await check.RunAsync(CancellationToken.None);
        Assert.Contains("node_network_receive_bytes_total{check=\"host\",device=\"ifb1\"}", Exposition.Samples(store).Keys);
        string dev = Path.Combine(proc, "net", "dev");
        await File.WriteAllLinesAsync(dev, File.ReadAllLines(dev).Where(l => !l.Contains("ifb1:", StringComparison.Ordinal)));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.DoesNotContain(Exposition.Samples(store).Keys, k => k.Contains("ifb1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_ExclusionsConfigured_ReplaceTheDefaults()
    {
        var (check, store) = Create(FixtureOptions() with { ExcludeDiskDevices = new("^(?:zram.*)$"), ExcludeNetworkDevices = new("^(?:ifb.*)$") });
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var s = Exposition.Samples(store).Keys;
        Assert.Contains("node_disk_reads_completed_total{check=\"host\",device=\"loop0\"}", s);
        Assert.DoesNotContain(s, k => k.Contains("zram0", StringComparison.Ordinal) || k.Contains("ifb", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_Cancelled_FailsWithTimeout_KeepsTheLastSeries()
    {
        var (check, store) = Create(FixtureOptions());
        await check.RunAsync(CancellationToken.None);
        int before = Exposition.Samples(store).Count;
        var result = await check.RunAsync(new CancellationToken(canceled: true));
        Assert.Equal(FailureReasons.Timeout, result.Reason);
        Assert.Equal(before, Exposition.Samples(store).Count);
    }

    [Fact]
    public void CpuCounters_NeverGoBack_ButStartOverAfterHotplug()
    {
        var counters = new CpuCounters();
        CpuTimes Cpu(double user, double idle) => new(0, user, 0, 0, idle, 0, 0, 0, 0, 0, 0);
        Assert.Equal(10, counters.Update([Cpu(10, 100)])[0].User);
        var next = counters.Update([Cpu(9.99, 99.5)])[0]; // a little back: kept
        Assert.Equal(10, next.User);
        Assert.Equal(100, next.Idle);
        var reset = counters.Update([Cpu(1, 2)])[0]; // idle 98 s back: the CPU came back
        Assert.Equal(1, reset.User);
        Assert.Equal(2, reset.Idle);
    }

    [Fact]
    public void Uname_FromBuffer_ReadsStructUtsname()
    {
        byte[] buffer = new byte[65 * 6];
        string[] fields = ["Linux", "web-1", "6.1.0-18-amd64", "#1 SMP Debian 6.1.76-1", "x86_64", "(none)"];
        for (int i = 0; i < fields.Length; i++)
        {
            System.Text.Encoding.UTF8.GetBytes(fields[i]).CopyTo(buffer, i * 65);
        }

        Assert.Equal(new UnameInfo("Linux", "6.1.0-18-amd64", "#1 SMP Debian 6.1.76-1", "x86_64", "web-1", "(none)"), UnameInfo.FromBuffer(buffer));
        Assert.Equal("Linux", UnameInfo.Read().SysName);
    }

    [Fact]
    public void Options_Read_PathsAndExclusions()
    {
        var result = MonitorConfig.Parse(
            "checks:\n  - name: h\n    host: { procfs: /host/proc/, sysfs: /host/sys, exclude_disk_devices: \"dm-.*\" }\n",
            "monitor.yaml",
            _ => null,
            p => throw new FileNotFoundException(p));
        Assert.Empty(result.Errors);
        var host = result.Options!.Checks[0].SettingsOf<HostCheckOptions>();
        Assert.Equal("/host/proc", host.Procfs);
        Assert.Equal("/host/sys", host.Sysfs);
        Assert.Equal("/run/udev/data", host.UdevData);
        Assert.Equal("/host/proc", result.Options.Checks[0].Settings.Target);
        Assert.Matches(host.ExcludeDiskDevices, "dm-0");
        Assert.DoesNotMatch(host.ExcludeDiskDevices, "sda1");
        Assert.Null(host.ExcludeNetworkDevices);

        var defaults = MonitorConfig.Parse("checks:\n  - name: h\n    host: {}\n", "monitor.yaml", _ => null, p => throw new FileNotFoundException(p));
        Assert.Empty(defaults.Errors);
        var d = defaults.Options!.Checks[0].SettingsOf<HostCheckOptions>();
        Assert.Equal(("/proc", "/sys"), (d.Procfs, d.Sysfs));
        Assert.Matches(d.ExcludeDiskDevices, "nvme0n1p2");
        Assert.DoesNotMatch(d.ExcludeDiskDevices, "nvme0n1");
    }

    [Theory]
    [InlineData("host: { procfs: host/proc }", "checks[0].host.procfs: an absolute path, got \"host/proc\"")]
    [InlineData("host: { proc: /proc }", "unknown key \"proc\"")]
    [InlineData("host: { exclude_network_devices: \"(\" }", "invalid regular expression")]
    public void Options_Read_Invalid_ExplainsWhy(string body, string expected)
    {
        var result = MonitorConfig.Parse($"checks:\n  - name: a\n    {body}\n", "monitor.yaml", _ => null, p => throw new FileNotFoundException(p));
        Assert.Contains(result.Errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
