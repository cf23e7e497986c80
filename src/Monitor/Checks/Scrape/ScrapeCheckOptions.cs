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
        map.Finish();
        return url is null ? null : new ScrapeCheckOptions { Url = url, Keep = keep, Drop = drop, Headers = headers, BearerToken = token, InsecureSkipVerify = insecure };
    }
}
