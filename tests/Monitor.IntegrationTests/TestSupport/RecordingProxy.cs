using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>
/// Sits between Prometheus and Monitor: <c>/passthrough/metrics</c> forwards Prometheus' own Accept header,
/// <c>/text/metrics</c> replaces it with text 0.0.4 only (Prometheus 2.42 cannot be told to ask for it).
/// Both record what Prometheus asked for and what content type Monitor answered with.
/// </summary>
internal sealed class RecordingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client = new();

    private RecordingProxy(WebApplication app, Uri upstream)
    {
        _app = app;
        Upstream = upstream;
    }

    public Uri Upstream { get; }

    public int Port => new Uri(_app.Urls.First()).Port;

    public ConcurrentQueue<(string Route, string Accept, string ContentType)> Exchanges { get; } = new();

    public static async Task<RecordingProxy> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var proxy = new RecordingProxy(app, upstream);
        app.MapGet("/{route}/metrics", proxy.ForwardAsync);
        await app.StartAsync();
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context, string route)
    {
        string accept = context.Request.Headers.Accept.ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Upstream, "/metrics"));
        request.Headers.TryAddWithoutValidation("Accept", route == "text" ? "text/plain;version=0.0.4" : accept);
        using var response = await _client.SendAsync(request, context.RequestAborted);
        string contentType = response.Content.Headers.ContentType?.ToString() ?? string.Empty;
        Exchanges.Enqueue((route, accept, contentType));
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = contentType;
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
