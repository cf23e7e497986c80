namespace Monitor.Configuration;

internal sealed record SlackReceiverOptions
{
    /// <summary>Incoming webhook URL (it is the credential, so it is a secret).</summary>
    public required Secret WebhookUrl { get; init; }
}
