using Monitor.Metrics;

namespace Monitor.Checks.Http;

/// <summary>The <c>probe_*</c> series of blackbox_exporter's HTTP prober, for one check.</summary>
internal sealed class HttpProbeSeries
{
    private readonly SeriesScope _scope;
    private readonly Sample _success;
    private readonly Sample _duration;
    private readonly Sample _status;
    private readonly Sample _contentLength;
    private readonly Sample _redirects;
    private readonly Sample _ssl;
    private readonly Sample _version;
    private readonly Sample _failedDueToRegex;
    private readonly Sample _dnsLookup;
    private readonly Sample[] _phases;
    private Sample? _certExpiry;

    public HttpProbeSeries(SeriesScope scope, string[] phases)
    {
        _scope = scope;
        _success = scope.Gauge("probe_success", "Displays whether or not the probe was a success");
        _duration = scope.Gauge("probe_duration_seconds", "Returns how long the probe took to complete in seconds");
        _status = scope.Gauge("probe_http_status_code", "Response HTTP status code");
        _contentLength = scope.Gauge("probe_http_content_length", "Length of http content response");
        _redirects = scope.Gauge("probe_http_redirects", "The number of redirects");
        _ssl = scope.Gauge("probe_http_ssl", "Indicates if SSL was used for the final redirect");
        _version = scope.Gauge("probe_http_version", "Returns the version of HTTP of the probe response");
        _failedDueToRegex = scope.Gauge("probe_failed_due_to_regex", "Indicates if probe failed due to regex");
        _dnsLookup = scope.Gauge("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds");
        _phases = [.. phases.Select(p => scope.Gauge("probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects", new Label("phase", p)))];
    }

    public void Publish(bool success, TimeSpan duration, int status, long contentLength, int redirects, HttpProbeTrace trace, Version? version, bool failedBody)
    {
        _status.Set(status);
        _contentLength.Set(contentLength);
        _redirects.Set(redirects);
        _ssl.Set(trace.UsedTls ? 1 : 0);
        _version.Set(version is null ? 0 : version.Major + (version.Minor / 10.0));
        _failedDueToRegex.Set(failedBody ? 1 : 0);
        _dnsLookup.Set(trace.Resolve.TotalSeconds);
        _phases[0].Set(trace.Resolve.TotalSeconds);
        _phases[1].Set(trace.Connect.TotalSeconds);
        _phases[2].Set(trace.Tls.TotalSeconds);
        _phases[3].Set(trace.Processing.TotalSeconds);
        _phases[4].Set(trace.Transfer.TotalSeconds);
        if (trace.EarliestCertExpiry is { } expiry)
        {
            _certExpiry ??= _scope.Gauge("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime");
            _certExpiry.Set(expiry.ToUnixTimeSeconds());
        }

        _duration.Set(duration.TotalSeconds);
        // Last, so a rule that sees success sees the details of the same run.
        _success.Set(success ? 1 : 0);
    }
}
