using System.Text.RegularExpressions;

namespace Monitor.Configuration;

internal sealed record ScrapeCheckOptions
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
}
