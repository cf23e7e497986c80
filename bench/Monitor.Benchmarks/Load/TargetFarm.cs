using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Monitor.Benchmarks.Load;

/// <summary>
/// The probed targets: one Kestrel server answering <c>/t/{i}</c> with 200, counting the hits so that
/// "executed" is measured on the receiving side, the same way for Monitor and for the reference stack.
/// Runs in a process of its own so it does not count towards the measured process's CPU. On several loopback
/// addresses, targets spread over them: tens of thousands of new connections a minute to one address and port
/// would be bound by the client's ephemeral ports in TIME_WAIT, not by the systems measured.
/// </summary>
internal static class TargetFarm
{
    private static long _hits;

    /// <summary>Serves on <paramref name="port"/> of 127.0.0.1 … 127.0.0.<paramref name="addresses"/>.</summary>
    public static async Task<int> ServeAsync(int port, int addresses = 1)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            for (int a = 1; a <= addresses; a++)
            {
                k.Listen(new IPAddress([127, 0, 0, (byte)a]), port);
            }

            k.Limits.MaxConcurrentConnections = null;
        });
        var app = builder.Build();
        app.MapGet("/t/{i:int}", (int i) =>
        {
            Interlocked.Increment(ref _hits);
            return Results.Text("ok");
        });
        app.MapGet("/hits", () => Results.Text(Interlocked.Read(ref _hits).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await app.RunAsync();
        return 0;
    }
}
