namespace Monitor.Configuration;

/// <summary>One entry of <c>receivers:</c>; exactly one of the kind sections is set.</summary>
internal sealed record ReceiverOptions
{
    public required string Name { get; init; }

    public PagerDutyReceiverOptions? PagerDuty { get; init; }

    public SlackReceiverOptions? Slack { get; init; }

    public EmailReceiverOptions? Email { get; init; }

    public AlertmanagerReceiverOptions? Alertmanager { get; init; }

    public WebhookReceiverOptions? Webhook { get; init; }
}
