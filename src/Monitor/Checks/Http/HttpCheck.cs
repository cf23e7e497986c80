using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Http;

/// <summary>
/// An HTTP probe with blackbox_exporter's semantics: a fresh connection per probe (so resolve, connect and
/// TLS are measured every time), redirects followed and counted by hand, then the expectations.
/// </summary>
internal sealed partial class HttpCheck : ICheck
{
    /// <summary>The <c>http</c> kind: a probe with blackbox_exporter's series.</summary>
    /// <summary>The metric families a http check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new([
        "probe_success", "probe_duration_seconds", "probe_dns_lookup_time_seconds", "probe_http_status_code", "probe_http_duration_seconds",
        "probe_http_content_length", "probe_http_redirects", "probe_http_ssl", "probe_http_version", "probe_ssl_earliest_cert_expiry", "probe_failed_due_to_regex",
    ]);

    public static readonly CheckKind Kind = new("http", HttpCheckOptions.Read, (options, context) => new HttpCheck(options, context.Scope, context.Time), Families);

    private const int MaxRedirects = 10;

    // A kept-alive connection is closed when the check has not used it for its interval and this long.
    private static readonly TimeSpan KeepAliveIdleGrace = TimeSpan.FromSeconds(30);

    private static readonly string[] Phases = ["resolve", "connect", "tls", "processing", "transfer"];

    private readonly HttpCheckOptions _http;
    private readonly TimeProvider _time;
    // The handler and its client, made on the first hop that needs them (TLS): most checks never do.
    private HttpClient? _client;

    // With keepalive: true over http://, the connection the last run left reusable; null while a run has it.
    private PlainHttp.Connection? _kept;
    private bool _disposed;

    // What a response calls to hand its connection back: made once, not per hop; null without keepalive.
    private readonly Action<PlainHttp.Connection>? _keep;
    private readonly HttpProbeSeries _series;

    // Every hop through the handler, plain http too (tests hold the two paths to the same results).
    private readonly bool _handlerOnly;

    // Runs of one check never overlap (the scheduler guarantees it), so the handler callbacks can report into
    // the trace of the current run.
    private HttpProbeTrace _trace = new();

    // With keep-alive, the earliest expiry of the chain seen in the last handshake: a probe on a reused TLS
    // connection reports that handshake's chain.
    private DateTimeOffset? _lastCertExpiry;

    public HttpCheck(CheckOptions options, SeriesScope scope, TimeProvider timeProvider, bool handlerOnly = false)
    {
        _handlerOnly = handlerOnly;
        Options = options;
        _http = options.SettingsOf<HttpCheckOptions>();
        _time = timeProvider;
        _series = new HttpProbeSeries(scope, Phases);
        _keep = _http.KeepAlive ? Keep : null;
    }

    public CheckOptions Options { get; }

    private HttpClient Client => _client ??= CreateClient();

    private HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            // No Accept-Encoding, as blackbox_exporter sends none; a body that comes encoded anyway is decoded by hand.
            AutomaticDecompression = DecompressionMethods.None,
#pragma warning disable CA2262 // 1024 is meant: the property is in KiB, and this is 1 MiB
            MaxResponseHeadersLength = PlainHttp.MaxHeadKilobytes,
#pragma warning restore CA2262
            ConnectTimeout = Timeout.InfiniteTimeSpan,
            // A fresh connection per probe (blackbox_exporter's semantics) unless the check opts into keep-alive;
            // a kept connection stays while the check keeps using it.
            PooledConnectionLifetime = _http.KeepAlive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
            PooledConnectionIdleTimeout = _http.KeepAlive ? Options.Interval + KeepAliveIdleGrace : TimeSpan.Zero,
            // No traceparent header and no Activity per request: blackbox_exporter sends none, and the probe is not
            // part of a trace.
            ActivityHeadersPropagator = null,
            ConnectCallback = ConnectAsync,
            PlaintextStreamFilter = TlsReady,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ValidateCertificate },
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        return _client;
    }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        var trace = _trace = new HttpProbeTrace();
        long start = _time.GetTimestamp();
        int redirects = 0;
        int status = 0;
        // 0 until a response says otherwise, as blackbox_exporter's gauge.
        long contentLength = 0;
        Version? version = null;
        bool readingBody = false;
        bool failedBody = false;
        CheckResult result;
        try
        {
            var url = _http.Url;
            var method = HttpMethod.Parse(_http.Method);
            string? body = _http.Body;
            while (true)
            {
                long hopStart = _time.GetTimestamp();
                using var hop = await SendAsync(method, url, body, cancellationToken);
                long headersAt = _time.GetTimestamp();
                // Processing runs from the moment this hop's connection (and TLS) was ready to the response headers.
                trace.Processing += _time.GetElapsedTime(trace.ReadyAt > hopStart ? trace.ReadyAt : hopStart, headersAt);
                status = hop.Status;
                version = hop.Version;
                contentLength = hop.ContentLength;
                var statusCode = (HttpStatusCode)status;
                if (_http.FollowRedirects && IsRedirect(statusCode) && hop.Location is { } location)
                {
                    if (++redirects > MaxRedirects)
                    {
                        result = CheckResult.Fail(FailureReasons.Redirects, $"stopped after {MaxRedirects} redirects");
                        break;
                    }

                    await DrainAsync(hop.Body, null, 0, cancellationToken);
                    trace.Transfer += _time.GetElapsedTime(headersAt);
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    if (statusCode == HttpStatusCode.SeeOther || (method == HttpMethod.Post && statusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Found))
                    {
                        method = HttpMethod.Get;
                        body = null;
                    }

                    continue;
                }

                if (_http.KeepAlive && url.Scheme == Uri.UriSchemeHttps && !trace.UsedTls)
                {
                    // The final hop went over a kept TLS connection: no handshake this time, the last one's facts.
                    trace.UsedTls = true;
                    trace.EarliestCertExpiry ??= _lastCertExpiry;
                }

                var buffer = _http.Expect.ReadsBody ? new ArrayBufferWriter<byte>(4096) : null;
                readingBody = true;
                long bodyBytes = await DrainAsync(hop.Body, buffer, _http.Expect.MaxBodyBytes, cancellationToken);
                trace.Transfer += _time.GetElapsedTime(headersAt);
                result = Evaluate(statusCode, buffer, bodyBytes, _time.GetElapsedTime(start), trace, out failedBody);
                break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            result = ProbeNetwork.Classify(e, cancellationToken.IsCancellationRequested);
            // A body that could not be read to its end did not match, as blackbox_exporter counts it.
            failedBody = readingBody && _http.Expect.ReadsBody;
        }

        var duration = _time.GetElapsedTime(start);
        _series.Publish(result.Success, duration, status, contentLength, redirects, trace, version, failedBody);
        return result;
    }

    /// <summary>One hop's response: what the probe reads of it, and its body.</summary>
    private sealed class Hop(int status, Version version, long contentLength, Uri? location, Stream body, IDisposable owner) : IDisposable
    {
        public int Status { get; } = status;

        public Version Version { get; } = version;

        public long ContentLength { get; } = contentLength;

        public Uri? Location { get; } = location;

        public Stream Body { get; } = body;

        public void Dispose()
        {
            Body.Dispose();
            owner.Dispose();
        }
    }

    /// <summary>
    /// Sends one hop. An <c>http://</c> URL goes through <see cref="PlainHttp"/>: a fresh connection each run
    /// (the default, as blackbox_exporter), or with <c>keepalive: true</c> the connection the last run left
    /// reusable. TLS goes through the handler.
    /// </summary>
    private async Task<Hop> SendAsync(HttpMethod method, Uri url, string? body, CancellationToken cancellationToken)
    {
        if (!_handlerOnly && url.Scheme == Uri.UriSchemeHttp)
        {
            byte[] request = PlainHttp.BuildRequest(method.Method, url, _http.Headers, body, _http.KeepAlive);
            if (_http.KeepAlive && Interlocked.Exchange(ref _kept, null) is { } kept)
            {
                if (kept.For(url.IdnHost, url.Port) && kept.Idle)
                {
                    try
                    {
                        return ToHop(await PlainHttp.ExchangeAsync(kept, method.Method, request, reused: true, _keep, cancellationToken));
                    }
                    catch (PlainHttp.StaleConnectionException)
                    {
                        // Closed by the server between runs: once more, on a new connection.
                    }
                    catch
                    {
                        kept.Dispose();
                        throw;
                    }
                }

                kept.Dispose();
            }

            var connection = new PlainHttp.Connection(await ConnectAsync(url.IdnHost, url.Port, cancellationToken), url.IdnHost, url.Port);
            try
            {
                return ToHop(await PlainHttp.ExchangeAsync(connection, method.Method, request, reused: false, _keep, cancellationToken));
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        var message = BuildRequest(method, url, body);
        try
        {
            var response = await Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            try
            {
                var stream = PlainHttp.Decode(await response.Content.ReadAsStreamAsync(cancellationToken), response.Content.Headers.ContentEncoding.LastOrDefault());
                long length = PlainHttp.ReportedLength((int)response.StatusCode, response.Headers.TransferEncodingChunked == true, response.Content.Headers.ContentLength);
                return new Hop((int)response.StatusCode, response.Version, length, response.Headers.Location, stream, new Disposables(response, message));
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private static Hop ToHop(PlainHttp.Response response)
    {
        Uri? location = response.Location is { } text && Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out var parsed) ? parsed : null;
        return new Hop(response.Status, response.Version, response.ContentLength, location, response.Body, response);
    }

    /// <summary>Keeps the connection a response left reusable for the next run (one per check: runs never overlap).</summary>
    private void Keep(PlainHttp.Connection connection)
    {
        connection.Park();
        if (Volatile.Read(ref _disposed))
        {
            connection.Dispose();
            return;
        }

        Interlocked.Exchange(ref _kept, connection)?.Dispose();
        if (Volatile.Read(ref _disposed))
        {
            Interlocked.Exchange(ref _kept, null)?.Dispose();
        }
    }

    private sealed class Disposables(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }

    private HttpRequestMessage BuildRequest(HttpMethod method, Uri url, string? body)
    {
        var request = new HttpRequestMessage(method, url)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (!_http.KeepAlive)
        {
            request.Headers.ConnectionClose = true;
        }

        string? contentType = null;
        foreach (var (name, value) in _http.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            if (contentType is not null)
            {
                request.Content.Headers.Remove("Content-Type");
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        return request;
    }

    private static bool IsRedirect(HttpStatusCode code) => code is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>
    /// Reads the body to the end (transfer time is part of the probe) and keeps its first <paramref name="limit"/>
    /// bytes when expectations need it: a contiguous prefix, never a chunk after one that was dropped, so a match
    /// can never span a gap. Returns how many bytes the body had.
    /// </summary>
    private static async Task<long> DrainAsync(Stream stream, ArrayBufferWriter<byte>? keep, int limit, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long total = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (keep is not null && keep.WrittenCount < limit)
                {
                    keep.Write(buffer.AsSpan(0, Math.Min(read, limit - keep.WrittenCount)));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return total;
    }

    private CheckResult Evaluate(HttpStatusCode statusCode, ArrayBufferWriter<byte>? body, long bodyBytes, TimeSpan elapsed, HttpProbeTrace trace, out bool failedBody)
    {
        // A body longer than max_body_bytes is looked at only in its first max_body_bytes; a failure says so.
        string cut = body is not null && bodyBytes > body.WrittenCount
            ? $" (only the first {body.WrittenCount} of the body's {bodyBytes} bytes were searched: expect.max_body_bytes)"
            : string.Empty;
        failedBody = false;
        int status = (int)statusCode;
        var expect = _http.Expect;
        bool statusOk = expect.Status.Count == 0 ? status is >= 200 and < 300 : expect.Status.Contains(status);
        if (!statusOk)
        {
            return CheckResult.Fail(FailureReasons.Status, $"status {status}, expected {(expect.Status.Count == 0 ? "2xx" : string.Join(", ", expect.Status))}");
        }

        if (expect.BodyJson.Count > 0 && CheckJson(body!.WrittenSpan, expect.BodyJson) is { } jsonError)
        {
            failedBody = true;
            return CheckResult.Fail(FailureReasons.BodyJson, jsonError + cut);
        }

        if (expect.BodyContains is { } needle && !Encoding.UTF8.GetString(body!.WrittenSpan).Contains(needle, StringComparison.Ordinal))
        {
            failedBody = true;
            return CheckResult.Fail(FailureReasons.BodyContains, $"body does not contain \"{needle}\"{cut}");
        }

        if (expect.MaxResponseTime is { } max && elapsed > max)
        {
            return CheckResult.Fail(FailureReasons.ResponseTime, $"took {elapsed.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s, limit {PromDuration.Format(max)}");
        }

        if (expect.MinCertDays is { } days && trace.EarliestCertExpiry is { } expiry)
        {
            var left = expiry - _time.GetUtcNow();
            if (left < TimeSpan.FromDays(days))
            {
                return CheckResult.Fail(FailureReasons.TlsExpiry, $"certificate chain expires in {left.TotalDays.ToString("0.#", CultureInfo.InvariantCulture)} days (at {expiry:yyyy-MM-ddTHH:mm:ssZ}), minimum {days}");
            }
        }

        return CheckResult.Ok;
    }

    /// <summary>Checks each dotted path (<c>data.items.0.status</c>); returns the first mismatch, or null.</summary>
    internal static string? CheckJson(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, string> expectations)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            return $"body is not JSON: {e.Message}";
        }

        using (document)
        {
            foreach (var (path, expected) in expectations)
            {
                var element = document.RootElement;
                foreach (string segment in path.Split('.'))
                {
                    if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(segment, out var child))
                    {
                        element = child;
                    }
                    else if (element.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < element.GetArrayLength())
                    {
                        element = element[index];
                    }
                    else
                    {
                        return $"{path}: not found in body";
                    }
                }

                if (!JsonEquals(element, expected))
                {
                    return $"{path}: got {Truncate(element.GetRawText())}, expected {expected}";
                }
            }
        }

        return null;
    }

    private static bool JsonEquals(JsonElement element, string expected) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString() == expected,
        JsonValueKind.Number => double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out double e) && element.GetDouble().Equals(e),
        JsonValueKind.True => expected is "true" or "True",
        JsonValueKind.False => expected is "false" or "False",
        JsonValueKind.Null => expected is "null" or "~" or "",
        _ => element.GetRawText() == expected,
    };

    private static string Truncate(string text) => text.Length <= 100 ? text : text[..100] + "...";

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        new NetworkStream(await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken), ownsSocket: true);

    /// <summary>Resolves and connects, timing both phases into the current run's trace.</summary>
    private async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var trace = _trace;
        long start = _time.GetTimestamp();
        var addresses = await ProbeNetwork.ResolveAsync(host, cancellationToken);
        long resolved = _time.GetTimestamp();
        trace.Resolve += _time.GetElapsedTime(start, resolved);
        var socket = await ProbeNetwork.ConnectAsync(addresses, port, cancellationToken);
        long connected = _time.GetTimestamp();
        trace.Connect += _time.GetElapsedTime(resolved, connected);
        trace.ReadyAt = connected;
        return socket;
    }

    /// <summary>Called once the connection is usable (after TLS on https): the end of the TLS phase.</summary>
    private ValueTask<Stream> TlsReady(SocketsHttpPlaintextStreamFilterContext context, CancellationToken cancellationToken)
    {
        var trace = _trace;
        if (context.PlaintextStream is SslStream)
        {
            long now = _time.GetTimestamp();
            trace.Tls += _time.GetElapsedTime(trace.ReadyAt, now);
            trace.ReadyAt = now;
            trace.UsedTls = true;
        }

        return ValueTask.FromResult(context.PlaintextStream);
    }

    private bool ValidateCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors)
    {
        _trace.EarliestCertExpiry = _lastCertExpiry = ProbeNetwork.EarliestExpiry(certificate, chain);
        return _http.InsecureSkipVerify || errors == SslPolicyErrors.None;
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        Interlocked.Exchange(ref _kept, null)?.Dispose();
        _client?.Dispose();
    }
}
