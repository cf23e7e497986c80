using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Monitor.Benchmarks.Load;

/// <summary>
/// The probed targets: one Kestrel server answering <c>/t/{i}</c> with 200, counting the hits so that
/// "executed" is measured on the receiving side, the same way for Monitor and for the reference stack.
/// Runs in a process of its own so it does not count towards the measured process's CPU.
/// </summary>
internal static class TargetFarm
{
    private static long _hits;

    public static async Task<int> ServeAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
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
