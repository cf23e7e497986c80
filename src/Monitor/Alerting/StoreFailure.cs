using System.Data.Common;
using System.Net.Sockets;

namespace Monitor.Alerting;

/// <summary>
/// Which exceptions mean "the alert store did not answer" (the database, its disk or its network), as opposed to a
/// fault of Monitor's own: only these are retried as a store outage.
/// </summary>
internal static class StoreFailure
{
    public static bool Is(Exception e) => e is DbException or IOException or TimeoutException or SocketException;
}
