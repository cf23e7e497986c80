namespace Monitor.Metrics;

internal enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4.</summary>
    Text004,
    /// <summary>OpenMetrics text format 1.0.0.</summary>
    OpenMetrics100,
}
