namespace Monitor.Configuration;

internal sealed record WebhookReceiverOptions
{
    /// <summary>Receiver URL; a secret, since webhook URLs often embed their credential.</summary>
    public required Secret Url { get; init; }

    public Secret? BearerToken { get; init; }

    /// <summary>Most alerts per message (0 = all), as Alertmanager's <c>max_alerts</c>. <value>Default 0.</value></summary>
    public int MaxAlerts { get; init; }
}
