namespace Monitor.Configuration;

internal sealed record PagerDutyReceiverOptions
{
    /// <summary>Events API v2 integration key.</summary>
    public required Secret RoutingKey { get; init; }

    /// <summary>Enqueue endpoint. <value>Default <c>https://events.pagerduty.com/v2/enqueue</c>.</value></summary>
    public Uri Url { get; init; } = new("https://events.pagerduty.com/v2/enqueue");

    /// <summary>Template of the event summary (see README, notification templates). <value>Default: the title and the first alert's summary.</value></summary>
    public string? Summary { get; init; }
}
