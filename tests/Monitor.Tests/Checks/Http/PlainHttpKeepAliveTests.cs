using System.Net;
using System.Net.Sockets;
using System.Text;
using Monitor.Checks;
using Monitor.Checks.Http;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Tests.Checks.Http;

/// <summary>
/// <c>keepalive: true</c> over <c>http://</c>: the hand-written exchange keeps the connection a response left
/// clean, finds one the server closed while idle, sends again once when a kept connection dies before any
/// response byte, and never reuses a connection the response did not leave reusable.
/// </summary>
public sealed class PlainHttpKeepAliveTests
{
    private static readonly byte[] Ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

    private static async Task<List<CheckResult>> RunTimesAsync(ScriptedServer server, int times, Func<int, Task>? beforeRun = null, TimeSpan? timeout = null)
    {
        var options = new CheckOptions
        {
            Name = "t",
            Kind = HttpCheck.Kind,
            Settings = new HttpCheckOptions { Url = new Uri($"http://127.0.0.1:{server.Port}/"), KeepAlive = true },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = timeout ?? TimeSpan.FromSeconds(5),
        };
        using var scope = new SeriesScope(new SeriesStore(), "t", new Dictionary<string, string>());
        using var check = new HttpCheck(options, scope, TimeProvider.System);
        var results = new List<CheckResult>();
        for (int i = 0; i < times; i++)
        {
            if (beforeRun is not null)
            {
                await beforeRun(i);
            }

            using var cts = new CancellationTokenSource(options.Timeout);
            results.Add(await check.RunAsync(cts.Token));
        }

        return results;
    }

    [Fact]
    public async Task ThreeRuns_OneConnection_AndNoConnectionCloseSent()
    {
        await using var server = new ScriptedServer((_, _) => ScriptedServer.Answer(Ok));
        var results = await RunTimesAsync(server, 3);
        Assert.All(results, r => Assert.True(r.Success, r.Error));
        Assert.Equal(1, server.Connections);
        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.DoesNotContain("Connection:", r, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ServerClosedTheIdleConnection_TheNextRunConnectsAgain()
    {
        await using var server = new ScriptedServer((_, _) => ScriptedServer.Answer(Ok, closeAfter: true));
        var results = await RunTimesAsync(server, 2, run => run == 0 ? Task.CompletedTask : server.Closed.Task);
        Assert.All(results, r => Assert.True(r.Success, r.Error));
        Assert.Equal(2, server.Connections);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task KeptConnectionDiesBeforeAnyResponseByte_TheRequestGoesOnceMoreOnANewConnection()
    {
        // Each connection answers its first request and drops the connection at the second without a byte.
        await using var server = new ScriptedServer((_, request) => request == 0 ? ScriptedServer.Answer(Ok) : ScriptedServer.Drop());
        var results = await RunTimesAsync(server, 3);
        Assert.All(results, r => Assert.True(r.Success, r.Error));
        Assert.Equal(3, server.Connections);
        Assert.Equal(5, server.Requests.Count); // 1, then 2 for each later run: the dropped one and the one sent again
    }

    [Fact]
    public async Task ANewConnectionThatDiesBeforeAResponse_FailsTheRun()
    {
        await using var server = new ScriptedServer((_, _) => ScriptedServer.Drop());
        var results = await RunTimesAsync(server, 1);
        Assert.Equal(FailureReasons.Protocol, results[0].Reason);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task AKeptConnectionThatFailsAfterResponseBytes_FailsTheRun_WithoutSendingAgain()
    {
        byte[] truncated = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok");
        await using var server = new ScriptedServer((_, request) => request == 0 ? ScriptedServer.Answer(Ok) : ScriptedServer.Answer(truncated, closeAfter: true));
        var results = await RunTimesAsync(server, 2);
        Assert.True(results[0].Success, results[0].Error);
        Assert.Equal(FailureReasons.Protocol, results[1].Reason);
        Assert.Equal(1, server.Connections);
        Assert.Equal(2, server.Requests.Count);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")]
    public async Task AResponseThatDoesNotLeaveTheConnectionReusable_IsNotReused(string response)
    {
        await using var server = new ScriptedServer((_, _) => ScriptedServer.Answer(Encoding.ASCII.GetBytes(response)));
        var results = await RunTimesAsync(server, 2);
        Assert.All(results, r => Assert.True(r.Success, r.Error));
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task ARunCutOffInTheBody_LeavesNoConnectionForTheNextRun()
    {
        // The first connection sends the head and half the body, then nothing: the run times out inside the body.
        byte[] half = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok");
        await using var server = new ScriptedServer((connection, _) => ScriptedServer.Answer(connection == 0 ? half : Ok));
        var results = await RunTimesAsync(server, 2, timeout: TimeSpan.FromMilliseconds(500));
        Assert.Equal(FailureReasons.Timeout, results[0].Reason);
        Assert.True(results[1].Success, results[1].Error);
        Assert.Equal(2, server.Connections);
    }

    /// <summary>A plain TCP server whose script says, per connection and per request on it, what to do.</summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Func<int, int, Action> _script;
        private readonly Task _loop;
        private readonly List<Task> _connections = [];
        private int _connectionCount;

        public ScriptedServer(Func<int, int, Action> script)
        {
            _script = script;
            _listener.Start();
            _loop = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connectionCount);

        public List<string> Requests { get; } = [];

        /// <summary>Set when the server has closed a connection after answering.</summary>
        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public readonly record struct Action(byte[]? Response, bool CloseAfter);

        public static Action Answer(byte[] response, bool closeAfter = false) => new(response, closeAfter);

        public static Action Drop() => new(null, true);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    int index = Interlocked.Increment(ref _connectionCount) - 1;
                    lock (_connections)
                    {
                        _connections.Add(ServeAsync(socket, index));
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }

        private async Task ServeAsync(Socket socket, int connection)
        {
            using (socket)
            {
                try
                {
                    var buffered = new StringBuilder();
                    byte[] buffer = new byte[8192];
                    for (int request = 0; ; request++)
                    {
                        int end;
                        while ((end = buffered.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                        {
                            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                            if (read == 0)
                            {
                                return;
                            }

                            buffered.Append(Encoding.ASCII.GetString(buffer, 0, read));
                        }

                        lock (Requests)
                        {
                            Requests.Add(buffered.ToString(0, end + 4));
                        }

                        buffered.Remove(0, end + 4);
                        var action = _script(connection, request);
                        if (action.Response is { } response)
                        {
                            await socket.SendAsync(response, SocketFlags.None, _stop.Token);
                        }

                        if (action.CloseAfter)
                        {
                            socket.Close();
                            Closed.TrySetResult();
                            return;
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            Task[] connections;
            lock (_connections)
            {
                connections = [.. _connections];
            }

            await Task.WhenAll(connections);
            _stop.Dispose();
        }
    }
}
