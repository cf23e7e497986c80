using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Scrape;

/// <summary>
/// Fetches a Prometheus endpoint (OpenMetrics preferred, text 0.0.4, gzip) and re-exposes its series with
/// <c>check</c> and the check's labels added, the way DCGM exporter or node_exporter data gets in. A family
/// with the name of one Monitor already has (<c>process_*</c>) joins it, so there is never a second TYPE line;
/// one whose type differs from the existing family is left out and named in the failure. Series that an
/// endpoint stops exposing disappear with the next scrape.
/// </summary>
internal sealed class ScrapeCheck : ICheck
{
    /// <summary>The <c>scrape</c> kind: any Prometheus endpoint's series, re-exposed.</summary>
    /// <summary>The metric families a scrape check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new(["monitor_scrape_samples"]);

    public static readonly CheckKind Kind = new("scrape", ScrapeCheckOptions.Read, (options, context) => new ScrapeCheck(options, context.Store, context.Scope), Families)
    {
        // Whatever the endpoint exposes, less what keep and drop leave out.
        Produces = (settings, metric) => Families.Contains(metric) || (settings is ScrapeCheckOptions s && (s.Keep?.IsMatch(metric) ?? true) && !(s.Drop?.IsMatch(metric) ?? false))
            ? Production.Yes
            : Production.No,
    };

    private const string Accept = "application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    private readonly ScrapeCheckOptions _scrape;
    private readonly HttpClient _client;
    private readonly Sample _samples;
    private readonly ScrapeIngest _ingest;
    private readonly ReadBuffer _body = new();

    public ScrapeCheck(CheckOptions options, SeriesStore store, SeriesScope scope)
    {
        Options = options;
        _scrape = options.SettingsOf<ScrapeCheckOptions>();
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            UseCookies = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, _, _, errors) => _scrape.InsecureSkipVerify || errors == SslPolicyErrors.None,
            },
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _ingest = new ScrapeIngest(store, scope, Kept, _scrape.SampleLimit);
        _samples = scope.Gauge("monitor_scrape_samples", "Samples re-exposed from the last scrape of the check's endpoint.");
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        HeldBytes body;
        bool openMetrics;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _scrape.Url);
            request.Headers.TryAddWithoutValidation("Accept", Accept);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
            foreach (var (name, value) in _scrape.Headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            if (_scrape.BearerToken is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Reveal());
            }

            // Headers first: the body is read (and decompressed) only up to body_size_limit, never buffered whole.
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return CheckResult.Fail(FailureReasons.Status, $"{_scrape.Url} answered {(int)response.StatusCode}");
            }

            openMetrics = response.Content.Headers.ContentType?.MediaType == "application/openmetrics-text";
            long? length = response.Content.Headers.ContentLength;
            if (length > _scrape.BodySizeLimit)
            {
                return BodyTooLarge();
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (await BoundedRead.ReadBytesAsync(stream, _scrape.BodySizeLimit, length, _body, cancellationToken) is not { } bytes)
            {
                return BodyTooLarge();
            }

            body = bytes;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ProbeNetwork.Classify(e, cancellationToken.IsCancellationRequested);
        }

        IngestOutcome outcome;
        using (body)
        {
            try
            {
                outcome = _ingest.Ingest(body.Span, openMetrics);
            }
            catch (ExpositionParseException e)
            {
                return CheckResult.Fail(FailureReasons.Parse, $"{(openMetrics ? "OpenMetrics" : "text 0.0.4")} from {_scrape.Url}: {e.Message}");
            }
        }

        if (outcome.Timeout is { } timeout)
        {
            // Only a keep/drop pattern the linear engine cannot run backtracks (see SafeRegex); one that runs
            // out of time fails this scrape, and the series of the last good one stay.
            return CheckResult.Fail(FailureReasons.RegexTimeout, $"keep/drop regex {timeout.Pattern} ran longer than {(int)timeout.MatchTimeout.TotalMilliseconds} ms on \"{outcome.TimeoutFamily}\"");
        }

        _samples.Set(outcome.Count);
        if (outcome.OverSampleLimit)
        {
            return CheckResult.Fail(FailureReasons.SampleLimit, $"{_scrape.Url} exposed {outcome.Count} samples, more than sample_limit {_scrape.SampleLimit}");
        }

        return outcome.Conflicts.Count == 0
            ? CheckResult.Ok
            : CheckResult.Fail(FailureReasons.Conflict, "left out, the type differs from Monitor's family of that name: " + string.Join("; ", outcome.Conflicts));
    }

    private CheckResult BodyTooLarge() =>
        CheckResult.Fail(FailureReasons.BodySizeLimit, $"{_scrape.Url}: body larger than body_size_limit {BoundedRead.Format(_scrape.BodySizeLimit)}");

    private bool Kept(string family) =>
        (_scrape.Keep is null || _scrape.Keep.IsMatch(family)) && (_scrape.Drop is null || !_scrape.Drop.IsMatch(family));

    public void Dispose() => _client.Dispose();
}
