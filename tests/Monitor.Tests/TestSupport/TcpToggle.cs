using System.Net;
using System.Net.Sockets;

namespace Monitor.Tests.TestSupport;

/// <summary>
/// A TCP target that is up (listening and accepting) or down (connection refused), flipped by a test or a
/// harness. It counts its down periods and remembers the current (or last) one, so what a monitoring system
/// reported can be compared with what happened.
/// </summary>
internal sealed class TcpToggle : IDisposable
{
    private readonly Lock _lock = new();
    private TcpListener? _listener;

    public TcpToggle()
    {
        Port = FreePort.Get();
        Up();
    }

    public int Port { get; }

    public int DownPeriods { get; private set; }

    /// <summary>When the current or last down period began, and when it ended (null while down).</summary>
    public (DateTimeOffset? Since, DateTimeOffset? UpAgain) Episode { get; private set; }

    public void Flip()
    {
        lock (_lock)
        {
            if (_listener is null)
            {
                Up();
            }
            else
            {
                _listener.Stop();
                _listener = null;
                DownPeriods++;
                Episode = (TimeProvider.System.GetUtcNow(), null);
            }
        }
    }

    public void Up()
    {
        lock (_lock)
        {
            if (_listener is not null)
            {
                return;
            }

            if (Episode.Since is not null && Episode.UpAgain is null)
            {
                Episode = (Episode.Since, TimeProvider.System.GetUtcNow());
            }

            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            var listener = _listener;
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        using var client = await listener.AcceptTcpClientAsync();
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // stopped: the target is down
                }
            });
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _listener?.Stop();
        }
    }
}
