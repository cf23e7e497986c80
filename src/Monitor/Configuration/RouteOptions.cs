using System.Text.RegularExpressions;

namespace Monitor.Configuration;

internal sealed record RouteOptions
{
    /// <summary>Labels that must be equal.</summary>
    public IReadOnlyDictionary<string, string> Match { get; init; } = new Dictionary<string, string>();

    /// <summary>Labels that must match a (fully anchored) regular expression.</summary>
    public IReadOnlyDictionary<string, Regex> MatchRe { get; init; } = new Dictionary<string, Regex>();

    public required IReadOnlyList<string> Notify { get; init; }
}
