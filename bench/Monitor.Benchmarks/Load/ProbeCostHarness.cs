using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Monitor.Checks;
using Monitor.Checks.Http;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Load;

/// <summary>
/// CPU and allocation per HTTP probe, in this process, at a steady rate against the target farm (in its own
/// process), for one layer at a time: the check itself (<c>check</c>: <see cref="HttpCheck.RunAsync"/> with the
/// timeout token the scheduler gives it), a bare <see cref="HttpClient"/> GET on a fresh connection (<c>client</c>:
/// the handler's floor) and a bare socket writing the request and reading to the close (<c>socket</c>: the
/// kernel's floor). The difference between the layers is what each adds.
/// <code>
/// dotnet bench/Monitor.Benchmarks/bin/Release/net10.0/Monitor.Benchmarks.dll load probe-cost --variant check --rate 500 --seconds 30
/// </code>
/// </summary>
internal static class ProbeCostHarness
{
    internal sealed record ProbeCost(string Variant, int Rate, double Seconds, long Probes, long Failures, double MicrosecondsCpuPerProbe, double BytesPerProbe, int Gen0, int Gen1, int Gen2, double CpuCores);

    public static async Task<ProbeCost> MeasureAsync(int farmPort, string variant, int rate, int seconds, int checks)
    {
        var store = new SeriesStore();
        Func<int, Task<bool>> probe = variant switch
        {
            "check" => CheckProbe(store, farmPort, checks, keepAlive: false),
            "check-keepalive" => CheckProbe(store, farmPort, checks, keepAlive: true),
            "client" => ClientProbe(farmPort),
            "socket" => SocketProbe(farmPort),
            "socket-sync" => SyncSocketProbe(farmPort),
            "socket-kept" => KeptSocketProbe(farmPort, checks),
            _ => throw new ArgumentException($"unknown variant {variant} (check, check-keepalive, client, socket, socket-sync, socket-kept)"),
        };

        // Warm-up: the JIT settles and the pools fill.
        await RunAtRateAsync(probe, rate, Math.Max(3, seconds / 5));
        int pid = Environment.ProcessId;
        double cpu0 = ProcessStats.CpuSeconds(pid);
        long bytes0 = GC.GetTotalAllocatedBytes(precise: true);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        long t0 = TimeProvider.System.GetTimestamp();
        var (done, failed) = await RunAtRateAsync(probe, rate, seconds);
        double elapsed = TimeProvider.System.GetElapsedTime(t0).TotalSeconds;
        double cpu = ProcessStats.CpuSeconds(pid) - cpu0;
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
        return new ProbeCost(
            variant, rate, Math.Round(elapsed, 1), done, failed,
            Math.Round(cpu / done * 1e6, 1), Math.Round((double)bytes / done), GC.CollectionCount(0) - g0, GC.CollectionCount(1) - g1, GC.CollectionCount(2) - g2,
            Math.Round(cpu / elapsed, 3));
    }

    /// <summary>Starts <paramref name="rate"/> probes a second, spread over 10 ms slots, and waits for all of them.</summary>
    private static async Task<(long Done, long Failed)> RunAtRateAsync(Func<int, Task<bool>> probe, int rate, int seconds)
    {
        long done = 0, failed = 0;
        var running = new List<Task>(rate * seconds);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        int slots = seconds * 100;
        int started = 0;
        for (int slot = 1; slot <= slots && await timer.WaitForNextTickAsync(); slot++)
        {
            int due = (int)((long)rate * slot / 100);
            for (; started < due; started++)
            {
                int i = started;
                running.Add(Task.Run(async () =>
                {
                    bool ok = await probe(i);
                    Interlocked.Increment(ref done);
                    if (!ok)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }));
            }
        }

        await Task.WhenAll(running);
        return (done, failed);
    }

    private static Func<int, Task<bool>> CheckProbe(SeriesStore store, int farmPort, int count, bool keepAlive)
    {
        var all = new HttpCheck[count];
        for (int i = 0; i < count; i++)
        {
            var options = new CheckOptions
            {
                Name = $"t{i}", Kind = HttpCheck.Kind, Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(5),
                Settings = new HttpCheckOptions { Url = new Uri($"http://127.0.0.1:{farmPort}/t/{i}"), KeepAlive = keepAlive, Expect = new HttpExpectOptions() },
            };
            all[i] = new HttpCheck(options, new SeriesScope(store, options.Name, new Dictionary<string, string>()), TimeProvider.System);
        }

        // One check's runs never overlap in Monitor; at these rates a check comes round again long after its last run.
        return async i =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var result = await all[i % count].RunAsync(timeout.Token);
            return result.Success;
        };
    }

    private static Func<int, Task<bool>> ClientProbe(int farmPort)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, UseCookies = false, UseProxy = false,
            PooledConnectionLifetime = TimeSpan.Zero, PooledConnectionIdleTimeout = TimeSpan.Zero, ActivityHeadersPropagator = null,
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        return async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{farmPort}/t/{i}");
            request.Headers.ConnectionClose = true;
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(Stream.Null);
            return response.IsSuccessStatusCode;
        };
    }

    private static Func<int, Task<bool>> SyncSocketProbe(int farmPort)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, farmPort);
        return i =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Connect(endpoint);
            socket.Send(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"GET /t/{i} HTTP/1.1\r\nHost: 127.0.0.1:{farmPort}\r\nConnection: close\r\n\r\n")));
            byte[] buffer = new byte[4096];
            int total = 0, read;
            while ((read = socket.Receive(buffer.AsSpan(total))) > 0)
            {
                total += read;
            }

            return Task.FromResult(total > 12 && buffer[9] == (byte)'2');
        };
    }

    private static Func<int, Task<bool>> SocketProbe(int farmPort)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, farmPort);
        return async i =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endpoint);
            byte[] request = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"GET /t/{i} HTTP/1.1\r\nHost: 127.0.0.1:{farmPort}\r\nConnection: close\r\n\r\n"));
            await socket.SendAsync(request);
            byte[] buffer = new byte[4096];
            int total = 0, read;
            while ((read = await socket.ReceiveAsync(buffer.AsMemory(total))) > 0)
            {
                total += read;
            }

            return total > 12 && buffer[9] == (byte)'2';
        };
    }

    /// <summary>
    /// The kept-alive floor: one connection per check slot, opened on its first probe and reused after; a GET,
    /// the head read to its end and the Content-Length body after it.
    /// </summary>
    private static Func<int, Task<bool>> KeptSocketProbe(int farmPort, int count)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, farmPort);
        var sockets = new Socket?[count];
        var buffers = new byte[count][];
        return async i =>
        {
            int slot = i % count;
            var socket = sockets[slot];
            if (socket is null)
            {
                socket = sockets[slot] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                buffers[slot] = new byte[4096];
                await socket.ConnectAsync(endpoint);
            }

            byte[] buffer = buffers[slot];
            await socket.SendAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"GET /t/{i} HTTP/1.1\r\nHost: 127.0.0.1:{farmPort}\r\n\r\n")));
            int total = 0;
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(total));
                if (read == 0)
                {
                    return false;
                }

                total += read;
                int end = buffer.AsSpan(0, total).IndexOf("\r\n\r\n"u8);
                if (end < 0)
                {
                    continue;
                }

                string head = Encoding.ASCII.GetString(buffer, 0, end);
                int at = head.IndexOf("Content-Length:", StringComparison.OrdinalIgnoreCase);
                int length = at < 0 ? 0 : int.Parse(head[(at + 15)..].Split('\r')[0].Trim(), CultureInfo.InvariantCulture);
                if (total >= end + 4 + length)
                {
                    return buffer[9] == (byte)'2';
                }
            }
        };
    }
}
