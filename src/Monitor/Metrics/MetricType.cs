namespace Monitor.Metrics;

/// <summary>The metric types of the Prometheus exposition formats that Monitor writes.</summary>
internal enum MetricType
{
    Gauge,
    Counter,
    Histogram,
    /// <summary>Only for series re-exposed from a scraped endpoint; Monitor computes no summaries.</summary>
    Summary,
    /// <summary>Written as <c>untyped</c> in text 0.0.4 and <c>unknown</c> in OpenMetrics.</summary>
    Unknown,
}
