namespace Monitor.Configuration;

/// <summary>Severity from <c>labels.severity</c> (docs/alerting.md) in the built-in levels: P1–P4, or critical/error/warning/info.</summary>
internal static class SeverityNames
{
    public static bool TryParse(string? text, out Severity severity) => SeverityLevels.BuiltIn.TryParse(text, out severity);
}
