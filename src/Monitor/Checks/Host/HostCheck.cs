using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Host;

/// <summary>
/// node_exporter's machine collectors (cpu, stat, loadavg, meminfo, netdev, diskstats, filefd, pressure,
/// uname, time) under its names, read from procfs and sysfs, which may be a host's mounted into a container.
/// As node_exporter, a part that cannot be read leaves its series out and the rest is still published; the run
/// then fails with the first part's reason and every part's error.
/// </summary>
internal sealed partial class HostCheck : ICheck
{
    /// <summary>The <c>host</c> kind: the machine as node_exporter reports it.</summary>
    /// <summary>The metric families a host check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new([
        "node_cpu_seconds_total", "node_cpu_guest_seconds_total", "node_boot_time_seconds", "node_context_switches_total", "node_forks_total", "node_intr_total",
        "node_procs_running", "node_procs_blocked", "node_load1", "node_load5", "node_load15",
        .. NetDev.Names.Select(n => $"node_network_{n}_total"), "node_network_receive_nohandler_total",
        "node_disk_reads_completed_total", "node_disk_writes_completed_total", "node_disk_reads_merged_total", "node_disk_writes_merged_total",
        "node_disk_read_bytes_total", "node_disk_written_bytes_total", "node_disk_read_time_seconds_total", "node_disk_write_time_seconds_total",
        "node_disk_io_time_seconds_total", "node_disk_io_time_weighted_seconds_total", "node_disk_io_now",
        "node_disk_discards_completed_total", "node_disk_discards_merged_total", "node_disk_discarded_sectors_total", "node_disk_discard_time_seconds_total",
        "node_disk_flush_requests_total", "node_disk_flush_requests_time_seconds_total",
        "node_disk_info", "node_disk_filesystem_info", "node_disk_device_mapper_info", "node_disk_ata_write_cache", "node_disk_ata_write_cache_enabled", "node_disk_ata_rotation_rate_rpm",
        "node_filefd_allocated", "node_filefd_maximum",
        "node_pressure_cpu_waiting_seconds_total", "node_pressure_io_waiting_seconds_total", "node_pressure_io_stalled_seconds_total",
        "node_pressure_memory_waiting_seconds_total", "node_pressure_memory_stalled_seconds_total",
        "node_uname_info", "node_time_seconds", "node_time_clocksource_available_info", "node_time_clocksource_current_info",
    ], "node_memory_");

    public static readonly CheckKind Kind = new("host", HostCheckOptions.Read, (options, context) => new HostCheck(options, context.Scope, context.Time, UnameInfo.Read), Families);

    private readonly HostCheckOptions _host;
    private readonly HostSeries _series;
    private readonly TimeProvider _time;
    private readonly Func<UnameInfo> _uname;
    private readonly CpuCounters _cpu = new();

    public HostCheck(CheckOptions options, SeriesScope scope, TimeProvider timeProvider, Func<UnameInfo> uname)
    {
        Options = options;
        _host = options.SettingsOf<HostCheckOptions>();
        _series = new HostSeries(scope);
        _time = timeProvider;
        _uname = uname;
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        var failures = new List<(string Reason, string Error)>();
        try
        {
            if (!Directory.Exists(_host.Procfs))
            {
                _series.Sweep();
                return CheckResult.Fail(FailureReasons.Unreadable, $"procfs {_host.Procfs} is not a readable directory (mount the host's /proc there, or set host.procfs)");
            }

            bool sysfs = Directory.Exists(_host.Sysfs);
            if (!sysfs)
            {
                failures.Add((FailureReasons.Unreadable, $"sysfs {_host.Sysfs} is not a readable directory (mount the host's /sys there, or set host.sysfs)"));
            }

            await PartAsync("stat", PublishStatAsync, failures, cancellationToken);
            await PartAsync("loadavg", PublishLoadAsync, failures, cancellationToken);
            await PartAsync("meminfo", PublishMemInfoAsync, failures, cancellationToken);
            await PartAsync("net/dev", ct => PublishNetDevAsync(sysfs, ct), failures, cancellationToken);
            await PartAsync("diskstats", PublishDiskStatsAsync, failures, cancellationToken);
            await PartAsync("sys/fs/file-nr", PublishFileNrAsync, failures, cancellationToken);
            await PartAsync("pressure", PublishPressureAsync, failures, cancellationToken);
            await PartAsync("uname", _ => PublishUname(), failures, cancellationToken);
            await PartAsync("time", ct => PublishTimeAsync(sysfs, ct), failures, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Keep what the last complete run published rather than half of this one's.
            _series.Keep();
            return CheckResult.Fail(FailureReasons.Timeout, $"reading {_host.Procfs} and {_host.Sysfs} did not finish within the timeout");
        }

        _series.Sweep();
        return failures.Count == 0 ? CheckResult.Ok : CheckResult.Fail(failures[0].Reason, string.Join("; ", failures.Select(f => f.Error)));
    }

    private async Task PartAsync(string file, Func<CancellationToken, Task> publish, List<(string Reason, string Error)> failures, CancellationToken cancellationToken)
    {
        try
        {
            await publish(cancellationToken);
        }
        catch (HostReadException e)
        {
            failures.Add((FailureReasons.Unreadable, e.Message));
        }
        catch (FormatException e)
        {
            failures.Add((FailureReasons.Parse, $"{Path.Combine(_host.Procfs, file)}: {e.Message}"));
        }
        catch (InvalidOperationException e)
        {
            // A family of the same name with another type (say, re-exposed by a scrape check as untyped).
            failures.Add((FailureReasons.Conflict, e.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // uname(2), or listing a sysfs directory.
            failures.Add((FailureReasons.Unreadable, $"{file}: {e.Message}"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failures.Add((FailureReasons.Internal, $"{file}: {e.GetType().Name}: {e.Message}"));
        }
    }

    private string Proc(string relative) => Path.Combine(_host.Procfs, relative);

    private string Sys(string relative) => Path.Combine(_host.Sysfs, relative);

    /// <summary>The whole file; a missing or unreadable one is a <see cref="HostReadException"/>.</summary>
    private static async Task<string> ReadAsync(string path, CancellationToken cancellationToken) =>
        await ReadOptionalAsync(path, cancellationToken) ?? throw new HostReadException(path, "no such file");

    /// <summary>The whole file, or null when it does not exist (or, as for PSI turned off, is not supported).</summary>
    private static async Task<string?> ReadOptionalAsync(string path, CancellationToken cancellationToken)
    {
        const int NotSupported = 95; // EOPNOTSUPP: /proc/pressure with psi=0 on the kernel command line
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || (e is IOException && e.HResult == NotSupported))
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            throw new HostReadException(path, "permission denied");
        }
        catch (IOException e)
        {
            throw new HostReadException(path, e.Message);
        }
    }

    public void Dispose()
    {
    }
}
