using System.Collections.Concurrent;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Disk;

/// <summary>
/// node_exporter's filesystem collector: the <c>node_filesystem_*</c> series of every real mount (or the
/// configured ones). Each statvfs runs on its own thread with a deadline; a mount whose call does not return
/// (a dead NFS server) is reported with <c>device_error 1</c> and not asked again until that call returns,
/// so a hung mount costs one blocked thread, never a hung check.
/// </summary>
internal sealed class DiskCheck : ICheck
{
    /// <summary>The <c>disk</c> kind: filesystems as node_exporter reports them.</summary>
    /// <summary>The metric families a disk check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new(["node_filesystem_size_bytes", "node_filesystem_free_bytes", "node_filesystem_avail_bytes", "node_filesystem_files", "node_filesystem_files_free", "node_filesystem_readonly", "node_filesystem_device_error"]);

    public static readonly CheckKind Kind = new("disk", DiskCheckOptions.Read, (options, context) => new DiskCheck(options, context.Scope, context.Time, LinuxFileSystemStats.Instance, DefaultMountTable), Families);

    public const string DefaultMountTable = "/proc/self/mounts";

    private readonly DiskCheckOptions _disk;
    private readonly SeriesScope _scope;
    private readonly TimeProvider _time;
    private readonly IFileSystemStats _stats;
    private readonly string _mountTablePath;
    private readonly Dictionary<MountEntry, MountSeries> _series = [];
    private readonly ConcurrentDictionary<string, Task<FileSystemUsage>> _stuck = new(StringComparer.Ordinal);

    public DiskCheck(CheckOptions options, SeriesScope scope, TimeProvider timeProvider, IFileSystemStats stats, string mountTablePath)
    {
        Options = options;
        _disk = options.SettingsOf<DiskCheckOptions>();
        _scope = scope;
        _time = timeProvider;
        _stats = stats;
        _mountTablePath = mountTablePath;
    }

    public CheckOptions Options { get; }

    /// <summary>Mount points whose statvfs is still blocked, for tests and diagnostics.</summary>
    public IReadOnlyCollection<string> StuckMounts => [.. _stuck.Keys];

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        List<MountEntry> mounts;
        try
        {
            mounts = Select(MountTable.Parse(await File.ReadAllTextAsync(_mountTablePath, cancellationToken)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail(FailureReasons.Internal, $"reading {_mountTablePath}: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            return CheckResult.Fail(FailureReasons.Timeout, "timed out reading the mount table");
        }

        // Leave a margin inside the check's own timeout so the results are always published.
        var deadline = Options.Timeout * 0.8;
        var stats = mounts.Select(m => (Mount: m, Task: StatAsync(m.Mountpoint))).ToList();
        try
        {
            await Task.WhenAll(stats.Select(s => s.Task)).WaitAsync(deadline, _time, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException or UnauthorizedAccessException)
        {
            // Per-mount outcomes are read below; a failed or unfinished stat is a device error.
        }

        var errors = new List<string>();
        var seen = new HashSet<MountEntry>();
        foreach (var (mount, task) in stats)
        {
            seen.Add(mount);
            if (!_series.TryGetValue(mount, out var series))
            {
                series = _series[mount] = new MountSeries(_scope, mount);
            }

            if (task.IsCompletedSuccessfully)
            {
                series.Publish(task.Result, mount.ReadOnly);
                continue;
            }

            if (!task.IsCompleted)
            {
                _stuck.TryAdd(mount.Mountpoint, task);
                string key = mount.Mountpoint;
                _ = task.ContinueWith(t => _stuck.TryRemove(new KeyValuePair<string, Task<FileSystemUsage>>(key, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                errors.Add($"{mount.Mountpoint}: statvfs did not return within {PromDuration.Format(deadline)}");
            }
            else
            {
                errors.Add($"{mount.Mountpoint}: {task.Exception?.InnerException?.Message ?? "failed"}");
            }

            series.PublishError(mount.ReadOnly);
        }

        foreach (var gone in _series.Keys.Where(m => !seen.Contains(m)).ToList())
        {
            _series[gone].Remove(_scope);
            _series.Remove(gone);
        }

        var missing = _disk.Mountpoints.Where(p => !mounts.Any(m => m.Mountpoint == p)).ToList();
        if (missing.Count > 0)
        {
            errors.Add($"not mounted: {string.Join(", ", missing)}");
            return CheckResult.Fail(errors.Count == 1 ? FailureReasons.NotMounted : FailureReasons.DeviceError, string.Join("; ", errors));
        }

        return errors.Count == 0 ? CheckResult.Ok : CheckResult.Fail(FailureReasons.DeviceError, string.Join("; ", errors));
    }

    private Task<FileSystemUsage> StatAsync(string mountpoint)
    {
        if (_stuck.TryGetValue(mountpoint, out var pending))
        {
            return pending;
        }

        // LongRunning gives the call a thread of its own: a hung statvfs must not hold a thread-pool thread.
        return Task.Factory.StartNew(() => _stats.Stat(mountpoint), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The configured mount points, or every mount that node_exporter's default exclusions keep.</summary>
    private List<MountEntry> Select(List<MountEntry> all)
    {
        IEnumerable<MountEntry> chosen = _disk.Mountpoints.Count > 0
            ? all.Where(m => _disk.Mountpoints.Contains(m.Mountpoint))
            : all.Where(m => !_disk.ExcludeMountpoints.IsMatch(m.Mountpoint) && !_disk.ExcludeFsTypes.IsMatch(m.FsType));

        // A mount point mounted over keeps only its top mount, the one statvfs sees.
        return [.. chosen.GroupBy(m => m.Mountpoint, StringComparer.Ordinal).Select(g => g.Last())];
    }

    public void Dispose()
    {
    }
}
