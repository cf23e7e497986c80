using System.Collections.ObjectModel;

namespace Monitor.Configuration;

/// <summary>One entry of <c>checks:</c>: what every check has, and its kind's own settings.</summary>
internal sealed record CheckOptions
{
    public required string Name { get; init; }

    public required ICheckKind Kind { get; init; }

    /// <summary>The kind's section, validated (an <c>HttpCheckOptions</c> for <c>http</c>, …).</summary>
    public required ICheckSettings Settings { get; init; }

    /// <summary>How often it runs. <value>Default <c>defaults.interval</c>.</value></summary>
    public TimeSpan Interval { get; init; }

    /// <summary>How long one run may take. <value>Default <c>defaults.timeout</c>, at most the interval.</value></summary>
    public TimeSpan Timeout { get; init; }

    /// <summary>Labels added to every series of the check.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Where the check is defined, for messages.</summary>
    public string Origin { get; init; } = string.Empty;

    /// <summary>What the check points at, for <c>/api/v1/checks</c>; never contains a secret (a URL's password is masked).</summary>
    public string Target => Redaction.Text(Settings.Target);

    /// <summary>
    /// A canonical description of everything that affects how the check runs, so a reload can tell an
    /// unchanged check (keep its series and schedule) from a changed one.
    /// </summary>
    public string Fingerprint { get; init; } = string.Empty;

    /// <summary>The kind's settings as their type; the check of a kind is built only with its own settings.</summary>
    public T SettingsOf<T>()
        where T : class, ICheckSettings =>
        Settings as T ?? throw new ArgumentException($"check {Name} is a {Kind.Key} check, not configured by {typeof(T).Name}");
}
