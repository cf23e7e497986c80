using System.Net;
using System.Net.Sockets;

namespace Monitor.Tests.TestSupport;

internal static class FreePort
{
    /// <summary>A loopback port that was free a moment ago (and so, closed now).</summary>
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
