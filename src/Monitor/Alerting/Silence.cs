using System.Text.RegularExpressions;

namespace Monitor.Alerting;

/// <summary>One label matcher of a silence, as Alertmanager's API v2 writes it.</summary>
internal sealed record SilenceMatcher(string Name, string Value, bool IsRegex, bool IsEqual = true)
{
    private Regex? _regex;
    private bool _invalid;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        string actual = labels.GetValueOrDefault(Name, "");
        if (!IsRegex)
        {
            return string.Equals(actual, Value, StringComparison.Ordinal) == IsEqual;
        }

        // A regex that does not compile (a silence stored before matchers were validated as they are now)
        // matches nothing: it can never mute an alert, whichever way it is negated.
        return Compiled() is { } regex && regex.IsMatch(actual) == IsEqual;
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
            // Compiled exactly as Matches uses it: anchored, on the linear engine (Alertmanager's RE2 has no
            // backtracking either), so what passes here can neither fail nor stall later; "(?x)a#" is valid
            // alone but comments out the anchoring's ")$". It must compile alone too: "a)(b" anchored is
            // "^(?:a)(b)$", which is not what it says.
            try
            {
                _ = Monitor.Configuration.SafeRegex.Create(Value, linearOnly: true);
                _ = Anchored(Value);
            }
            catch (ArgumentException e)
            {
                return $"matcher {Name}: invalid regular expression {Value}: {e.Message}";
            }
        }

        return null;
    }

    private static Regex Anchored(string value) => Monitor.Configuration.SafeRegex.Anchored(value, linearOnly: true);

    private Regex? Compiled()
    {
        if (_regex is null && !_invalid)
        {
            try
            {
                _regex = Anchored(Value);
            }
            catch (ArgumentException)
            {
                _invalid = true;
            }
        }

        return _regex;
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
