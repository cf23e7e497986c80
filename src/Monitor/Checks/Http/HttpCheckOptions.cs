using System.Collections.ObjectModel;
using Monitor.Configuration;

namespace Monitor.Checks.Http;

/// <summary>The <c>http</c> section of a check.</summary>
internal sealed record HttpCheckOptions : ICheckSettings
{
    private static readonly HashSet<string> Methods = new(StringComparer.Ordinal) { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };

    public required Uri Url { get; init; }

    /// <summary>HTTP method. <value>Default GET.</value></summary>
    public string Method { get; init; } = "GET";

    public IReadOnlyDictionary<string, string> Headers { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Request body. <value>Default none.</value></summary>
    public string? Body { get; init; }

    /// <summary>Follow redirects (up to 10, as blackbox_exporter does). <value>Default true.</value></summary>
    public bool FollowRedirects { get; init; } = true;

    /// <summary>Accept any certificate. <value>Default false.</value></summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>
    /// Keep the connection open between probes and reuse it (HTTP keep-alive) instead of opening a fresh one per
    /// probe as blackbox_exporter does. A probe on a reused connection reports resolve, connect and tls as 0.
    /// <value>Default false.</value>
    /// </summary>
    public bool KeepAlive { get; init; }

    public HttpExpectOptions Expect { get; init; } = new();

    public string Target => Redaction.Url(Url);

    public static HttpCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var ctx = map.Context;
        var url = map.Url("url", required: true, "http", "https");
        string method = map.String("method") ?? "GET";
        if (!Methods.Contains(method))
        {
            ctx.Error(map.Get("method")!.Start, $"{map.Field("method")}: unsupported method \"{method}\" (one of {string.Join(", ", Methods)})");
        }

        var headers = map.StringMap("headers", n => n.Length > 0 && n.All(c => c > ' ' && c < 127 && c != ':'), "header names are visible ASCII without ':'") ?? [];
        foreach (var (headerName, value) in headers)
        {
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                ctx.Error(map.Get("headers")!.Start, $"{map.Field("headers")}.{headerName}: header values must not contain line breaks");
            }
        }

        string? body = map.String("body");
        bool follow = map.Bool("follow_redirects") ?? true;
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        bool keepAlive = map.Bool("keepalive") ?? false;
        var expect = HttpExpectOptions.Read(map.Map("expect"));
        map.Finish();
        return url is null || expect is null ? null : new HttpCheckOptions
        {
            Url = url,
            Method = method,
            Headers = headers.Count > 0 ? headers : ReadOnlyDictionary<string, string>.Empty,
            Body = body,
            FollowRedirects = follow,
            InsecureSkipVerify = insecure,
            KeepAlive = keepAlive,
            Expect = expect,
        };
    }
}
