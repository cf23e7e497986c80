using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Monitor.Metrics;

/// <summary>
/// The standard <c>process_*</c> series every Prometheus client exports, read from <c>/proc/self</c> just
/// before a scrape into a reused buffer.
/// </summary>
internal sealed class ProcessMetrics
{
    private const double PageSize = 4096;
    private const double ClockTicks = 100; // USER_HZ on Linux

    private readonly byte[] _buffer = new byte[4096];
    private readonly Lock _lock = new();
    private readonly Sample _cpu;
    private readonly Sample _resident;
    private readonly Sample _virtual;
    private readonly Sample _openFds;
    private readonly Sample _startTime;

    public ProcessMetrics(SeriesStore store)
    {
        _cpu = store.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", []);
        _resident = store.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", []);
        _virtual = store.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", []);
        _openFds = store.Gauge("process_open_fds", "Number of open file descriptors.", []);
        _startTime = store.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", []);
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        _startTime.Set(new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
    }

    public void Collect()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        lock (_lock)
        {
            int n = Read("/proc/self/stat");
            if (n > 0)
            {
                // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
                var span = _buffer.AsSpan(0, n);
                int close = span.LastIndexOf((byte)')');
                if (close > 0)
                {
                    var rest = span[(close + 2)..];
                    double utime = Field(rest, 11);
                    double stime = Field(rest, 12);
                    _cpu.Set((utime + stime) / ClockTicks);
                    _virtual.Set(Field(rest, 20));
                    _resident.Set(Field(rest, 21) * PageSize);
                }
            }
        }

        try
        {
            _openFds.Set(Directory.EnumerateFileSystemEntries("/proc/self/fd").Count());
        }
        catch (IOException)
        {
        }
    }

    private int Read(string path)
    {
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path);
            return RandomAccess.Read(handle, _buffer, 0);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The space-separated field at <paramref name="index"/> (0-based) as a number.</summary>
    private static double Field(ReadOnlySpan<byte> text, int index)
    {
        for (int i = 0; i < index; i++)
        {
            int space = text.IndexOf((byte)' ');
            if (space < 0)
            {
                return 0;
            }

            text = text[(space + 1)..];
        }

        int end = text.IndexOf((byte)' ');
        var field = end < 0 ? text : text[..end];
        return double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : 0;
    }
}
