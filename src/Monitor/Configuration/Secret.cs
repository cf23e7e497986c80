namespace Monitor.Configuration;

/// <summary>
/// A secret from the environment or a file. Its <see cref="ToString"/> never shows the value, so a secret
/// that reaches a log line, an error or an API answer by accident shows as <c>&lt;secret&gt;</c>.
/// </summary>
internal sealed class Secret : IEquatable<Secret>
{
    private readonly string _value;

    public Secret(string value) => _value = value;

    /// <summary>The value, for the one place that must send it (an Authorization header, a DSN).</summary>
    public string Reveal() => _value;

    public override string ToString() => "<secret>";

    public bool Equals(Secret? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as Secret);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);
}
