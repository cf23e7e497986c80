using System.Text.RegularExpressions;
using Monitor.Configuration;

namespace Monitor.Checks.Scrape;

/// <summary>The <c>scrape</c> section of a check.</summary>
internal sealed record ScrapeCheckOptions : ICheckSettings
{
    public required Uri Url { get; init; }

    /// <summary>Only metric names matching this (fully anchored) are kept. <value>Default: all.</value></summary>
    public Regex? Keep { get; init; }

    /// <summary>Metric names matching this (fully anchored) are dropped. <value>Default: none.</value></summary>
    public Regex? Drop { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Bearer token sent to the endpoint. <value>Default none.</value></summary>
    public Secret? BearerToken { get; init; }

    public bool InsecureSkipVerify { get; init; }

    /// <summary>
    /// The largest body accepted, counted after decompression; a larger one fails the scrape (reason
    /// <c>body_size_limit</c>) as Prometheus' <c>body_size_limit</c> does. <value>Default 64 MiB.</value>
    /// </summary>
    public long BodySizeLimit { get; init; } = DefaultBodySizeLimit;

    /// <summary>
    /// At most this many samples (after <c>keep</c>/<c>drop</c>); more fail the scrape and drop all of its samples
    /// (reason <c>sample_limit</c>), as Prometheus' <c>sample_limit</c>. <value>Default 0: no limit.</value>
    /// </summary>
    public long SampleLimit { get; init; }

    public const long DefaultBodySizeLimit = 64L << 20;

    public string Target => Redaction.Url(Url);

    public static ScrapeCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var url = map.Url("url", required: true, "http", "https");
        var keep = map.AnchoredRegex("keep");
        var drop = map.AnchoredRegex("drop");
        var headers = map.StringMap("headers") ?? [];
        var token = map.Secret("bearer_token");
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        long bodyLimit = map.ByteSize("body_size_limit", 1, 1L << 30) ?? DefaultBodySizeLimit;
        long sampleLimit = map.Integer("sample_limit", 0, int.MaxValue) ?? 0;
        map.Finish();
        return url is null ? null : new ScrapeCheckOptions { Url = url, Keep = keep, Drop = drop, Headers = headers, BearerToken = token, InsecureSkipVerify = insecure, BodySizeLimit = bodyLimit, SampleLimit = sampleLimit };
    }
}
