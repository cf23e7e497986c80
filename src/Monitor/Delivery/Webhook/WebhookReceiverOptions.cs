using Monitor.Configuration;

namespace Monitor.Delivery.Webhook;

/// <summary>The <c>webhook</c> section of a receiver.</summary>
internal sealed record WebhookReceiverOptions : IReceiverSettings
{
    /// <summary>Receiver URL; a secret, since webhook URLs often embed their credential.</summary>
    public required Secret Url { get; init; }

    public Secret? BearerToken { get; init; }

    /// <summary>Most alerts per message (0 = all), as Alertmanager's <c>max_alerts</c>. <value>Default 0.</value></summary>
    public int MaxAlerts { get; init; }

    public static WebhookReceiverOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var url = map.Secret("url", required: true);
        if (url is not null && !(Uri.TryCreate(url.Reveal(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            map.Context.Error(map.KeyMark(map.Has("url") ? "url" : "url_file"), $"{map.Field("url")}: not an absolute http(s) URL");
            url = null;
        }

        var token = map.Secret("bearer_token");
        long maxAlerts = map.Integer("max_alerts", 0, 10_000) ?? 0;
        map.Finish();
        return url is null ? null : new WebhookReceiverOptions { Url = url, BearerToken = token, MaxAlerts = (int)maxAlerts };
    }
}
