namespace Monitor.Benchmarks;

/// <summary>The ten probe_* families an HTTP check publishes, which the benchmarks use as a realistic store.</summary>
internal static class ProbeFamilies
{
    public static readonly string[] Names =
    [
        "probe_success", "probe_duration_seconds", "probe_http_status_code", "probe_http_content_length", "probe_dns_lookup_time_seconds",
        "probe_http_version", "probe_http_redirects", "probe_http_ssl", "probe_failed_due_to_regex", "probe_ssl_earliest_cert_expiry",
    ];
}
