using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Monitor.Tests.TestSupport;

/// <summary>Local HTTP(S) targets with known behaviour: healthy, failing, hanging, slow, redirecting.</summary>
internal sealed class TargetServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TargetServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public Uri Url(string path) => new(BaseUri, path);

    public static async Task<TargetServer> StartAsync(X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            if (certificate is not null)
            {
                o.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.MapGet("/ok", () => Results.Text("""{"status":"healthy","data":{"items":[{"v":1,"up":true}]}}""", "application/json"));
        app.MapGet("/fail", () => Results.Text("boom", statusCode: 500));
        app.MapGet("/unhealthy", () => Results.Text("""{"status":"degraded"}""", "application/json"));
        app.MapGet("/text", () => Results.Text("all systems ok"));
        app.MapGet("/colliding-labels", () => Results.Text(
            "# TYPE collide gauge\ncollide{check=\"theirs\",exported_check=\"older\",zone=\"a\"} 1\n",
            "text/plain; version=0.0.4"));

        // A small chunk, a large one, then the text a body check looks for: a check that drops a chunk too large for
        // its limit and keeps later ones would find "status: ok" across the gap.
        app.MapGet("/chunks", async (HttpContext context) =>
        {
            foreach (string chunk in new[] { "head ", new string('x', 64 * 1024), "status: ok" })
            {
                await context.Response.WriteAsync(chunk, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        });
        app.MapGet("/hang", async (CancellationToken ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return Results.Ok();
        });
        app.MapGet("/slow", async (CancellationToken ct) =>
        {
            await Task.Delay(400, ct);
            return Results.Text("late");
        });
        app.MapGet("/redirect/{n:int}", (int n) => Results.Redirect(n <= 1 ? "/ok" : $"/redirect/{n - 1}"));
        app.MapGet("/loop", () => Results.Redirect("/loop"));
        app.MapPost("/echo", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            string body = await reader.ReadToEndAsync();
            return Results.Text($"{request.Headers["X-Test"]}|{request.ContentType}|{body}");
        });
        app.MapPost("/see-other", () => Results.Redirect("/ok", permanent: false, preserveMethod: false));
        await app.StartAsync();
        var address = app.Urls.First();
        return new TargetServer(app, new Uri(address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)));
    }

    /// <summary>A self-signed certificate for localhost that expires after <paramref name="validFor"/>.</summary>
    public static X509Certificate2 SelfSigned(TimeSpan validFor)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        var now = TimeProvider.System.GetUtcNow();
        using var cert = request.CreateSelfSigned(now.AddDays(-1), now.Add(validFor));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
