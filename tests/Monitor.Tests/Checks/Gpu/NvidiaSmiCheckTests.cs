using Monitor.Checks;
using Monitor.Checks.Gpu;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Gpu;

/// <summary>
/// The nvidia_smi check against stand-in executables that print the captured H100 output of
/// tests/fixtures/nvidia-smi/ (and MIG / unsupported variants), or hang, or are missing.
/// </summary>
public sealed class NvidiaSmiCheckTests : IDisposable
{
    private const string Gpu0 = "3f1c9a52-8d4e-4b7a-9c21-5e6f7a8b9c0d";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "nvsmi-" + Guid.NewGuid().ToString("N")[..8]);

    public NvidiaSmiCheckTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) =>
        Repository.Fixture("nvidia-smi", name);

    /// <summary>A script standing in for nvidia-smi: records its arguments, then runs <paramref name="body"/>.</summary>
    private string StandIn(string body)
    {
        string path = Path.Combine(_dir, "nvidia-smi-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(path, $"#!/bin/sh\necho \"$@\" > \"{_dir}/args\"\necho $$ > \"{_dir}/pid\"\n{body}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    private static async Task<(CheckResult Result, Dictionary<string, string> Samples)> RunAsync(string path, TimeSpan? timeout = null, SeriesStore? store = null, NvidiaSmiCheck? reuse = null)
    {
        store ??= new SeriesStore();
        var options = new CheckOptions { Name = "gpus", Kind = NvidiaSmiCheck.Kind, Settings = new NvidiaSmiCheckOptions { Path = path }, Interval = TimeSpan.FromSeconds(30), Timeout = timeout ?? TimeSpan.FromSeconds(10) };
        var check = reuse ?? new NvidiaSmiCheck(options, new SeriesScope(store, "gpus", new Dictionary<string, string>()));
        using var cts = new CancellationTokenSource(options.Timeout);
        var result = await check.RunAsync(cts.Token);
        return (result, Exposition.Samples(store));
    }

    [Fact]
    public async Task Run_H100Fixture_PublishesExporterSeriesWithUnitConversions()
    {
        var (result, s) = await RunAsync(StandIn($"cat '{Fixture("nvidia-smi-2xH100.csv")}'"));
        Assert.True(result.Success, result.Error);
        string u = $"{{check=\"gpus\",uuid=\"{Gpu0}\"}}";
        Assert.Equal("1", s["nvidia_smi_utilization_gpu_ratio" + u]);
        Assert.Equal("0.11", s["nvidia_smi_utilization_memory_ratio" + u]);
        Assert.Equal((19818L * 1048576).ToString(System.Globalization.CultureInfo.InvariantCulture), s["nvidia_smi_memory_used_bytes" + u]);
        Assert.Equal((81559L * 1048576).ToString(System.Globalization.CultureInfo.InvariantCulture), s["nvidia_smi_memory_total_bytes" + u]);
        Assert.Equal("631.95", s["nvidia_smi_power_draw_watts" + u]);
        Assert.Equal("700", s["nvidia_smi_power_limit_watts" + u]);
        Assert.Equal("1980000000", s["nvidia_smi_clocks_current_sm_clock_hz" + u]);
        Assert.Equal("2619000000", s["nvidia_smi_clocks_current_memory_clock_hz" + u]);
        Assert.Equal("59", s["nvidia_smi_temperature_gpu" + u]);
        Assert.Equal("54", s["nvidia_smi_temperature_memory" + u]);
        Assert.Equal("0", s["nvidia_smi_pstate" + u]);
        Assert.Equal("0", s["nvidia_smi_index" + u]);
        Assert.Equal("0", s["nvidia_smi_ecc_errors_uncorrected_volatile_total" + u]);
        Assert.DoesNotContain("nvidia_smi_fan_speed_ratio" + u, s.Keys); // [N/A] means no series, not 0
        Assert.Equal("1", s[$"nvidia_smi_gpu_info{{check=\"gpus\",driver_version=\"590.48.01\",index=\"0\",name=\"NVIDIA H100 80GB HBM3\",pci_bus_id=\"00000000:18:00.0\",uuid=\"{Gpu0}\"}}"]);
        Assert.Equal("0", s["nvidia_smi_utilization_gpu_ratio{check=\"gpus\",uuid=\"7a2b4c6d-1e3f-4a5b-8c7d-9e0f1a2b3c4d\"}"]);
        string args = File.ReadAllText(Path.Combine(_dir, "args")).Trim();
        Assert.Equal($"--query-gpu={string.Join(",", NvidiaSmiCsv.Fields)} --format=csv", args);
    }

    [Fact]
    public async Task Run_MigAndUnsupportedValues_AreOmitted_AndSeriesFollowTheValues()
    {
        var store = new SeriesStore();
        string header = File.ReadAllLines(Fixture("nvidia-smi-2xH100.csv"))[0];
        string full = StandIn($"cat '{Fixture("nvidia-smi-2xH100.csv")}'");
        var check = new NvidiaSmiCheck(
            new CheckOptions { Name = "gpus", Kind = NvidiaSmiCheck.Kind, Settings = new NvidiaSmiCheckOptions { Path = full }, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10) },
            new SeriesScope(store, "gpus", new Dictionary<string, string>()));
        Assert.True((await RunAsync(full, store: store, reuse: check)).Result.Success);

        // The same GPU in MIG mode: utilisation [N/A], power [Not Supported]; the second GPU is gone.
        string mig = Path.Combine(_dir, "mig.csv");
        File.WriteAllText(mig, header + "\n0, GPU-3F1C9A52-8D4E-4B7A-9C21-5E6F7A8B9C0D, NVIDIA H100 80GB HBM3, 00000000:18:00.0, 590.48.01, P0, 59, 54, [N/A], [N/A], 81559 MiB, 19818 MiB, 61263 MiB, [Not Supported], 700.00 W, 1980 MHz, 2619 MHz, [N/A], [Insufficient Permissions]\n");
        var options = check.Options with { Settings = new NvidiaSmiCheckOptions { Path = StandIn($"cat '{mig}'") } };
        var migCheck = new NvidiaSmiCheck(options, new SeriesScope(store, "gpus-mig", new Dictionary<string, string>()));
        var (result, s) = await RunAsync(options.SettingsOf<NvidiaSmiCheckOptions>().Path, store: store, reuse: migCheck);
        Assert.True(result.Success, result.Error);
        string u = $"{{check=\"gpus-mig\",uuid=\"{Gpu0}\"}}";
        Assert.DoesNotContain("nvidia_smi_utilization_gpu_ratio" + u, s.Keys);
        Assert.DoesNotContain("nvidia_smi_power_draw_watts" + u, s.Keys);
        Assert.DoesNotContain("nvidia_smi_ecc_errors_uncorrected_volatile_total" + u, s.Keys);
        Assert.Equal("700", s["nvidia_smi_power_limit_watts" + u]);
    }

    [Fact]
    public async Task Run_RowWithWrongColumnCount_IsRejected_OthersKept()
    {
        string csv = Path.Combine(_dir, "bad.csv");
        var lines = File.ReadAllLines(Fixture("nvidia-smi-2xH100.csv"));
        File.WriteAllText(csv, string.Join("\n", lines[0], lines[1], "1, GPU-x, broken row"));
        var (result, s) = await RunAsync(StandIn($"cat '{csv}'"));
        Assert.Equal(FailureReasons.Parse, result.Reason);
        Assert.Contains("line 3: 3 columns, the header has 19", result.Error);
        Assert.Contains($"nvidia_smi_temperature_gpu{{check=\"gpus\",uuid=\"{Gpu0}\"}}", s.Keys);
    }

    [Fact]
    public async Task Run_MissingBinary_FailsWithExec()
    {
        var (result, _) = await RunAsync(Path.Combine(_dir, "no-such-nvidia-smi"));
        Assert.Equal(FailureReasons.Exec, result.Reason);
        Assert.Contains("no-such-nvidia-smi", result.Error);
    }

    [Fact]
    public async Task Run_FailingBinary_ReportsItsMessage()
    {
        var (result, _) = await RunAsync(StandIn("echo 'NVIDIA-SMI has failed because it couldn'\"'\"'t communicate with the NVIDIA driver.' >&2; exit 9"));
        Assert.Equal(FailureReasons.Exec, result.Reason);
        Assert.Contains("exited with 9", result.Error);
        Assert.Contains("couldn't communicate with the NVIDIA driver", result.Error);
    }

    [Fact]
    public async Task Run_HangingBinary_TimesOutAndIsKilled()
    {
        var started = TimeProvider.System.GetTimestamp();
        var (result, _) = await RunAsync(StandIn("exec sleep 60"), TimeSpan.FromMilliseconds(700));
        Assert.Equal(FailureReasons.Timeout, result.Reason);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
        int pid = int.Parse(File.ReadAllText(Path.Combine(_dir, "pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal), $"stand-in nvidia-smi {pid} still running");
    }

    [Fact]
    public void Parse_NoHeaderFixture_IsRejectedClearly()
    {
        var (rows, errors) = NvidiaSmiCsv.Parse(File.ReadAllText(Fixture("nvidia-smi-2xH100.noheader-nounits.csv")));
        Assert.Empty(rows);
        Assert.StartsWith("nvidia-smi header has no uuid column", Assert.Single(errors));
    }

    [Fact]
    public async Task Run_EndlessOutput_IsCutAtTheLimit_AndTheProcessKilled()
    {
        // "yes" never stops writing: without a cap the check would buffer until memory runs out.
        string path = StandIn("exec yes 0123456789abcdef");
        var store = new SeriesStore();
        var options = new CheckOptions { Name = "gpus", Kind = NvidiaSmiCheck.Kind, Settings = new NvidiaSmiCheckOptions { Path = path, OutputLimit = 1 << 20 }, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(60) };
        var check = new NvidiaSmiCheck(options, new SeriesScope(store, "gpus", new Dictionary<string, string>()));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.OutputLimit, result.Reason);
        Assert.Contains("more than 1MiB", result.Error);
    }

    [Fact]
    public async Task Run_HugeErrorText_IsTruncatedInTheResult()
    {
        var (result, _) = await RunAsync(StandIn("head -c 50000 /dev/zero | tr '\\0' x >&2; exit 3"));
        Assert.Equal(FailureReasons.Exec, result.Reason);
        Assert.True(result.Error!.Length <= CheckResult.MaxErrorLength + 40, result.Error.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("more characters)", result.Error);
    }
}
