using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Monitor.Tests.TestSupport;

/// <summary>
/// A Docker Engine API stand-in on a unix socket for the ways an engine answers or fails: each request's path
/// goes to <c>answer</c>, which gives the status and body (status 0: accept and never answer, as a hung daemon).
/// Requests are recorded; with <see cref="Delay"/>, the most requests seen in flight at once too.
/// </summary>
internal sealed class FakeDockerEngine : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<string, (int Status, byte[] Body)> _answer;
    private readonly string _contentType;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _inFlight;
    private int _maxInFlight;

    private FakeDockerEngine(string path, Func<string, (int, byte[])> answer, string contentType, TimeSpan delay)
    {
        Path = path;
        _answer = answer;
        _contentType = contentType;
        Delay = delay;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(32);
        _loop = AcceptAsync();
    }

    public string Path { get; }

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>How long each answer takes.</summary>
    public TimeSpan Delay { get; }

    public int MaxInFlight => _maxInFlight;

    /// <summary>An engine answering JSON.</summary>
    public static FakeDockerEngine Start(string path, Func<string, (int, string)> answer, TimeSpan delay = default) =>
        new(path, p => answer(p) is var (status, body) ? (status, Encoding.UTF8.GetBytes(body)) : default, "application/json", delay);

    /// <summary>An engine answering bytes (log streams).</summary>
    public static FakeDockerEngine StartRaw(string path, Func<string, (int, byte[])> answer) =>
        new(path, answer, "application/octet-stream", TimeSpan.Zero);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                _ = ServeAsync(await _listener.AcceptAsync(_stop.Token));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } requestLine)
            {
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 })
                {
                }

                string path = requestLine.Split(' ')[1];
                Requests.Enqueue(path);
                int now = Interlocked.Increment(ref _inFlight);
                int seen;
                while (now > (seen = _maxInFlight) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
                {
                }

                await Task.Delay(Delay, _stop.Token);
                Interlocked.Decrement(ref _inFlight);
                var (status, body) = _answer(path);
                if (status == 0)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Type: {_contentType}\r\nContent-Length: {body.Length}\r\n\r\n"), _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
