namespace Monitor.Checks.Http;

/// <summary>Timings and TLS facts of one probe, filled in by the handler callbacks (blackbox_exporter's httptrace).</summary>
internal sealed class HttpProbeTrace
{
    public TimeSpan Resolve { get; set; }

    public TimeSpan Connect { get; set; }

    public TimeSpan Tls { get; set; }

    public TimeSpan Processing { get; set; }

    public TimeSpan Transfer { get; set; }

    /// <summary>Timestamp (TimeProvider ticks) when the connection, and TLS if any, became ready.</summary>
    public long ReadyAt { get; set; }

    public bool UsedTls { get; set; }

    /// <summary>Earliest NotAfter of the presented chain, when TLS was used.</summary>
    public DateTimeOffset? EarliestCertExpiry { get; set; }
}
