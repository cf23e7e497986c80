using System.ComponentModel;
using System.Diagnostics;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Gpu;

/// <summary>
/// Runs nvidia-smi and publishes nvidia_gpu_exporter's series, one set per GPU (label <c>uuid</c>). A
/// missing binary fails the check with reason <c>exec</c>; one that hangs is killed at the timeout.
/// </summary>
internal sealed class NvidiaSmiCheck : ICheck
{
    /// <summary>The <c>nvidia_smi</c> kind: nvidia-smi's query output under nvidia_gpu_exporter's names.</summary>
    /// <summary>The metric families a nvidia_smi check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new(["nvidia_smi_gpu_info"], "nvidia_smi_");

    public static readonly CheckKind Kind = new("nvidia_smi", NvidiaSmiCheckOptions.Read, (options, context) => new NvidiaSmiCheck(options, context.Scope), Families);

    private readonly NvidiaSmiCheckOptions _gpu;
    private readonly SeriesScope _scope;
    private readonly Dictionary<string, List<Series>> _series = new(StringComparer.Ordinal);

    public NvidiaSmiCheck(CheckOptions options, SeriesScope scope)
    {
        Options = options;
        _gpu = options.SettingsOf<NvidiaSmiCheckOptions>();
        _scope = scope;
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        string output;
        try
        {
            output = await RunNvidiaSmiAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return CheckResult.Fail(FailureReasons.Timeout, $"{_gpu.Path} did not finish in time and was killed");
        }
        catch (Win32Exception e)
        {
            return CheckResult.Fail(FailureReasons.Exec, $"cannot run {_gpu.Path}: {e.Message}");
        }
        catch (OutputTooLargeException e)
        {
            return CheckResult.Fail(FailureReasons.OutputLimit, e.Message);
        }
        catch (InvalidOperationException e)
        {
            return CheckResult.Fail(FailureReasons.Exec, e.Message);
        }

        var (rows, errors) = NvidiaSmiCsv.Parse(output);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            seen.Add(row.Uuid);
            Publish(row);
        }

        foreach (string gone in _series.Keys.Where(u => !seen.Contains(u)).ToList())
        {
            foreach (var series in _series[gone])
            {
                _scope.Remove(series);
            }

            _series.Remove(gone);
        }

        return errors.Count == 0 ? CheckResult.Ok : CheckResult.Fail(FailureReasons.Parse, string.Join("; ", errors));
    }

    private void Publish(GpuRow row)
    {
        var uuid = new Label("uuid", row.Uuid);
        if (!_series.TryGetValue(row.Uuid, out var owned))
        {
            owned = _series[row.Uuid] = [];
        }

        var info = _scope.Gauge("nvidia_smi_gpu_info", "A metric with a constant '1' value labeled by gpu uuid, name, driver_version, pci_bus_id and index.", [.. row.Info.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => new Label(i.Key, i.Value))]);
        info.Set(1);
        var current = new List<Series> { info };
        foreach (var (metric, value) in row.Values)
        {
            var sample = _scope.Gauge(metric, $"{metric} as reported by nvidia-smi.", uuid);
            sample.Set(value);
            current.Add(sample);
        }

        // A value that turned [N/A] (a MIG reconfiguration, a driver reset) loses its series.
        foreach (var stale in owned.Where(s => !current.Contains(s)))
        {
            _scope.Remove(stale);
        }

        _series[row.Uuid] = current;
    }

    private async Task<string> RunNvidiaSmiAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(_gpu.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--query-gpu=" + string.Join(",", NvidiaSmiCsv.Fields));
        info.ArgumentList.Add("--format=csv");
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {_gpu.Path}");
        try
        {
            // Both streams are read at most to their limits: a runaway nvidia-smi is killed, not buffered.
            var stdout = BoundedRead.ReadAsync(process.StandardOutput.BaseStream, _gpu.OutputLimit, cancellationToken);
            var stderr = BoundedRead.ReadAsync(process.StandardError.BaseStream, NvidiaSmiCheckOptions.StderrLimit, cancellationToken);
            string? output = await stdout;
            if (output is null)
            {
                process.Kill(entireProcessTree: true);
                throw new OutputTooLargeException($"{_gpu.Path} wrote more than {BoundedRead.Format(_gpu.OutputLimit)} to stdout; killed");
            }

            string? errors = await stderr;
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{_gpu.Path} exited with {process.ExitCode}: {(errors ?? "(stderr over its limit)").Trim()} {output.Trim()}".Trim());
            }

            return output;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    public void Dispose()
    {
    }

    private sealed class OutputTooLargeException(string message) : Exception(message);
}
