namespace Monitor.Configuration;

/// <summary>Severity from <c>labels.severity</c> (docs/alerting.md): P1–P4, or critical/error/warning/info.</summary>
internal static class SeverityNames
{
    public static bool TryParse(string? text, out Severity severity)
    {
        severity = text?.Trim().ToLowerInvariant() switch
        {
            "p1" or "critical" => Severity.P1,
            "p2" or "error" => Severity.P2,
            "p3" or "warning" => Severity.P3,
            "p4" or "info" => Severity.P4,
            _ => 0,
        };
        return severity != 0;
    }
}
