namespace Monitor.Configuration;

/// <summary>Naming rules of Prometheus and of Monitor's own objects.</summary>
internal static class Names
{
    public const string LabelNameRule = "label names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with __";
    public const string ObjectNameRule = "names use letters, digits, '_', '-', '.' and ':'";

    public static bool IsLabelName(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
        && !name.StartsWith("__", StringComparison.Ordinal);

    public static bool IsObjectName(string name) =>
        name.Length is > 0 and <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':');
}
