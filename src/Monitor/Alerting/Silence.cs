using System.Text.RegularExpressions;

namespace Monitor.Alerting;

/// <summary>One label matcher of a silence, as Alertmanager's API v2 writes it.</summary>
internal sealed record SilenceMatcher(string Name, string Value, bool IsRegex, bool IsEqual = true)
{
    private Regex? _regex;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        string actual = labels.GetValueOrDefault(Name, "");
        bool match = IsRegex
            ? (_regex ??= new Regex("^(?:" + Value + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))).IsMatch(actual)
            : string.Equals(actual, Value, StringComparison.Ordinal);
        return match == IsEqual;
    }

    /// <summary>Null when the matcher is valid, else what is wrong with it.</summary>
    public string? Validate()
    {
        if (string.IsNullOrEmpty(Name))
        {
            return "matcher name is empty";
        }

        if (IsRegex)
        {
            try
            {
                _ = new Regex(Value, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                return $"matcher {Name}: invalid regular expression {Value}: {e.Message}";
            }
        }

        return null;
    }
}

/// <summary>An ad-hoc silence made through the API: alerts matching every matcher are muted from start to end.</summary>
internal sealed record Silence
{
    public required string Id { get; init; }

    public required IReadOnlyList<SilenceMatcher> Matchers { get; init; }

    public required DateTimeOffset StartsAt { get; init; }

    public required DateTimeOffset EndsAt { get; init; }

    public string CreatedBy { get; init; } = "";

    public string Comment { get; init; } = "";

    public bool ActiveAt(DateTimeOffset now) => StartsAt <= now && now < EndsAt;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => Matchers.All(m => m.Matches(labels));
}
