namespace Monitor.Checks;

/// <summary>Values of the <c>reason</c> label of <c>monitor_check_failure_info</c>; a fixed set keeps cardinality low.</summary>
internal static class FailureReasons
{
    public const string Timeout = "timeout";
    public const string Dns = "dns";
    public const string ConnectionRefused = "connection_refused";
    public const string Connect = "connect";
    public const string Tls = "tls";
    public const string TlsExpiry = "tls_expiry";
    public const string Status = "status";
    public const string BodyJson = "body_json";
    public const string BodyContains = "body_contains";
    public const string ResponseTime = "response_time";
    public const string Redirects = "redirects";
    public const string Protocol = "protocol";
    public const string DeviceError = "device_error";
    public const string NotMounted = "not_mounted";
    public const string Unreadable = "unreadable";
    public const string Exec = "exec";
    public const string Parse = "parse";
    public const string Conflict = "conflict";
    public const string Auth = "auth";
    public const string Query = "query";
    public const string Config = "config";
    public const string NoMatch = "no_match";
    public const string IncompleteDump = "incomplete_dump";
    public const string InvalidGzip = "invalid_gzip";
    public const string PermissionDenied = "permission_denied";
    public const string NoSocket = "no_socket";
    public const string BodySizeLimit = "body_size_limit";
    public const string SampleLimit = "sample_limit";
    public const string OutputLimit = "output_limit";
    public const string RegexTimeout = "regex_timeout";
    public const string Internal = "internal";
}
