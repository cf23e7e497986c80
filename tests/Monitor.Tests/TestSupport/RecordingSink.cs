using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Monitor.Tests.TestSupport;

/// <summary>One request a <see cref="RecordingSink"/> received.</summary>
internal sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At, string Answer);

/// <summary>
/// An HTTP endpoint that records every request and answers what <see cref="Respond"/> says (default 200 "ok"):
/// the stand-in for webhook, Slack, PagerDuty and Alertmanager peers, which enforce their rules in Respond.
/// </summary>
internal sealed class RecordingSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _inFlight;

    private RecordingSink(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>Decides the answer: status, body and headers. Runs for each request, concurrently.</summary>
    public Func<RecordedRequest, Task<(int Status, string Body, IDictionary<string, string>? Headers)>> Respond { get; set; } =
        _ => Task.FromResult<(int, string, IDictionary<string, string>?)>((200, "ok", null));

    /// <summary>Called when a request has arrived, before it is answered.</summary>
    public Action<RecordedRequest>? Arrived { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Requests received whose answer is not yet written.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public Uri Url(string path) => new(BaseUri, path);

    public static async Task<RecordingSink> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        RecordingSink? sink = null;
        app.Run(async context =>
        {
            Interlocked.Increment(ref sink!._inFlight);
            try
            {
                using var reader = new StreamReader(context.Request.Body);
                string body = await reader.ReadToEndAsync(context.RequestAborted);
                var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                var request = new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body, TimeProvider.System.GetUtcNow(), "");
                sink.Arrived?.Invoke(request);
                var (status, answer, answerHeaders) = await sink.Respond(request);
                sink._requests.Enqueue(request with { Answer = status.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                context.Response.StatusCode = status;
                foreach (var (name, value) in answerHeaders ?? new Dictionary<string, string>())
                {
                    context.Response.Headers[name] = value;
                }

                await context.Response.WriteAsync(answer, context.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref sink._inFlight);
            }
        });
        await app.StartAsync();
        var address = app.Urls.First();
        sink = new RecordingSink(app, new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/"));
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
