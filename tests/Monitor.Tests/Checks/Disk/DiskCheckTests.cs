using System.Diagnostics;
using System.Globalization;
using Monitor.Checks;
using Monitor.Checks.Disk;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Disk;

public class DiskCheckTests
{
    private static CheckOptions Options(DiskCheckOptions? disk = null, TimeSpan? timeout = null) =>
        new() { Name = "disk", Kind = DiskCheck.Kind, Settings = disk ?? new DiskCheckOptions(), Interval = TimeSpan.FromSeconds(30), Timeout = timeout ?? TimeSpan.FromSeconds(5) };

    private static List<string[]> Df(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("df", args) { RedirectStandardOutput = true, UseShellExecute = false })!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
    }

    [Fact]
    public async Task Run_ThisMachine_MatchesDfBytesAndInodes()
    {
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "disk", new Dictionary<string, string>());
        var check = new DiskCheck(Options(), scope, TimeProvider.System, LinuxFileSystemStats.Instance, DiskCheck.DefaultMountTable);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var samples = Exposition.Samples(store);

        // df -P: Filesystem 1-blocks Used Available Capacity Mounted-on; df -i -P: Filesystem Inodes IUsed IFree IUse% Mounted-on.
        var bytes = Df("-B1", "-P").ToDictionary(r => r[^1], r => r);
        var inodes = Df("-i", "-P").ToDictionary(r => r[^1], r => r);
        var mounts = samples.Keys.Where(k => k.StartsWith("node_filesystem_size_bytes{", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(mounts);
        int compared = 0;
        foreach (string key in mounts)
        {
            string labels = key["node_filesystem_size_bytes".Length..];
            string mountpoint = labels[(labels.IndexOf("mountpoint=\"", StringComparison.Ordinal) + 12)..^2];
            if (!bytes.TryGetValue(mountpoint, out var df) || !inodes.TryGetValue(mountpoint, out var dfi))
            {
                continue;
            }

            compared++;
            double Value(string name) => double.Parse(samples[name + labels], CultureInfo.InvariantCulture);
            Assert.Equal(double.Parse(df[1], CultureInfo.InvariantCulture), Value("node_filesystem_size_bytes"));
            // Free space moves while the test runs (this machine is shared): allow 256 MiB.
            Assert.InRange(Value("node_filesystem_avail_bytes") - double.Parse(df[3], CultureInfo.InvariantCulture), -268435456, 268435456);
            Assert.True(Value("node_filesystem_free_bytes") >= Value("node_filesystem_avail_bytes"));
            Assert.Equal(double.Parse(dfi[1], CultureInfo.InvariantCulture), Value("node_filesystem_files"));
            Assert.InRange(Value("node_filesystem_files_free") - double.Parse(dfi[3], CultureInfo.InvariantCulture), -20000, 20000);
            Assert.Equal("0", samples["node_filesystem_device_error" + labels]);
            Assert.Contains("node_filesystem_readonly" + labels, samples.Keys);
        }

        Assert.True(compared > 0, "no mount point reported by both Monitor and df");
        Assert.DoesNotContain(samples.Keys, k => k.Contains("mountpoint=\"/proc\"", StringComparison.Ordinal) || k.Contains("fstype=\"cgroup", StringComparison.Ordinal));
    }

    [Fact]
    public void MountTable_ParsesEscapesAndReadOnly()
    {
        var mounts = MountTable.Parse("/dev/sdb1 /mnt/my\\040disk ext4 ro,relatime 0 0\nserver:/export /data nfs4 rw,hard 0 0\n");
        Assert.Equal(new MountEntry("/dev/sdb1", "/mnt/my disk", "ext4", true), mounts[0]);
        Assert.Equal(new MountEntry("server:/export", "/data", "nfs4", false), mounts[1]);
    }

    private sealed class HangingStats(string hangingMount) : IFileSystemStats
    {
        public ManualResetEventSlim Release { get; } = new(false);

        public int Calls;

        public FileSystemUsage Stat(string mountpoint)
        {
            Interlocked.Increment(ref Calls);
            if (mountpoint == hangingMount)
            {
                Release.Wait();
            }

            return mountpoint == "/broken" ? throw new IOException("statvfs /broken: Input/output error") : new FileSystemUsage(1000, 500, 400, 100, 50);
        }
    }

    [Fact]
    public async Task Run_HungMount_TimesOutWithDeviceError_AndIsNotAskedAgainUntilItReturns()
    {
        string table = Path.GetTempFileName();
        await File.WriteAllTextAsync(table, "/dev/a / ext4 rw 0 0\nnfs:/x /nfs nfs4 rw 0 0\n/dev/b /broken ext4 ro 0 0\n");
        var stats = new HangingStats("/nfs");
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "disk", new Dictionary<string, string>());
        var check = new DiskCheck(Options(timeout: TimeSpan.FromMilliseconds(500)), scope, TimeProvider.System, stats, table);

        var started = TimeProvider.System.GetTimestamp();
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(3));
        Assert.Equal(FailureReasons.DeviceError, result.Reason);
        Assert.Contains("/nfs: statvfs did not return", result.Error);
        Assert.Contains("/broken: statvfs /broken: Input/output error", result.Error);
        var s = Exposition.Samples(store);
        Assert.Equal("1", s["node_filesystem_device_error{check=\"disk\",device=\"nfs:/x\",fstype=\"nfs4\",mountpoint=\"/nfs\"}"]);
        Assert.DoesNotContain("node_filesystem_size_bytes{check=\"disk\",device=\"nfs:/x\",fstype=\"nfs4\",mountpoint=\"/nfs\"}", s.Keys);
        Assert.Equal("1", s["node_filesystem_readonly{check=\"disk\",device=\"/dev/b\",fstype=\"ext4\",mountpoint=\"/broken\"}"]);
        Assert.Equal("1000", s["node_filesystem_size_bytes{check=\"disk\",device=\"/dev/a\",fstype=\"ext4\",mountpoint=\"/\"}"]);
        Assert.Equal(["/nfs"], check.StuckMounts);

        int calls = stats.Calls;
        await check.RunAsync(CancellationToken.None);
        Assert.Equal(calls + 2, stats.Calls); // "/" and "/broken" again, not the stuck "/nfs"

        stats.Release.Set();
        for (int i = 0; i < 50 && check.StuckMounts.Count > 0; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }

        Assert.Empty(check.StuckMounts);
        await File.WriteAllTextAsync(table, "/dev/a / ext4 rw 0 0\nnfs:/x /nfs nfs4 rw 0 0\n");
        result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        s = Exposition.Samples(store);
        Assert.Equal("0", s["node_filesystem_device_error{check=\"disk\",device=\"nfs:/x\",fstype=\"nfs4\",mountpoint=\"/nfs\"}"]);
        Assert.Equal("1000", s["node_filesystem_size_bytes{check=\"disk\",device=\"nfs:/x\",fstype=\"nfs4\",mountpoint=\"/nfs\"}"]);
        Assert.DoesNotContain(s.Keys, k => k.Contains("/broken", StringComparison.Ordinal)); // unmounted: series gone
        File.Delete(table);
    }

    [Fact]
    public async Task Run_ConfiguredMountpointNotMounted_Fails()
    {
        string table = Path.GetTempFileName();
        await File.WriteAllTextAsync(table, "/dev/a / ext4 rw 0 0\n");
        using var scope = new SeriesScope(new SeriesStore(), "disk", new Dictionary<string, string>());
        var check = new DiskCheck(Options(new DiskCheckOptions { Mountpoints = ["/", "/data"] }), scope, TimeProvider.System, new HangingStats("-"), table);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.NotMounted, result.Reason);
        Assert.Equal("not mounted: /data", result.Error);
        File.Delete(table);
    }

    [Fact]
    public async Task Run_DefaultExclusions_AreNodeExporters()
    {
        string table = Path.GetTempFileName();
        await File.WriteAllTextAsync(table, "proc /proc proc rw 0 0\noverlay /var/lib/docker/overlay2/x/merged overlay rw 0 0\ntmpfs /run tmpfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n/dev/a /home ext4 rw 0 0\n");
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "disk", new Dictionary<string, string>());
        var check = new DiskCheck(Options(), scope, TimeProvider.System, new HangingStats("-"), table);
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var mounts = Exposition.Samples(store).Keys.Where(k => k.StartsWith("node_filesystem_size_bytes", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, mounts.Count);
        Assert.Contains(mounts, k => k.Contains("mountpoint=\"/run\"", StringComparison.Ordinal));
        Assert.Contains(mounts, k => k.Contains("mountpoint=\"/home\"", StringComparison.Ordinal));
        File.Delete(table);
    }
}
