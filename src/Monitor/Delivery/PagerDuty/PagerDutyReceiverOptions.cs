using Monitor.Configuration;

namespace Monitor.Delivery.PagerDuty;

/// <summary>The <c>pagerduty</c> section of a receiver.</summary>
internal sealed record PagerDutyReceiverOptions : IReceiverSettings
{
    /// <summary>Events API v2 integration key.</summary>
    public required Secret RoutingKey { get; init; }

    /// <summary>Enqueue endpoint. <value>Default <c>https://events.pagerduty.com/v2/enqueue</c>.</value></summary>
    public Uri Url { get; init; } = new("https://events.pagerduty.com/v2/enqueue");

    /// <summary>Template of the event summary (docs/delivery.md, templates). <value>Default: the title and the first alert's summary.</value></summary>
    public string? Summary { get; init; }

    public static PagerDutyReceiverOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var key = map.Secret("routing_key", required: true);
        var url = map.Url("url", required: false, "http", "https");
        string? summary = NotificationTemplates.Read(map, "summary");
        map.Finish();
        if (key is null)
        {
            return null;
        }

        var result = new PagerDutyReceiverOptions { RoutingKey = key, Summary = summary };
        return url is null ? result : result with { Url = url };
    }
}
