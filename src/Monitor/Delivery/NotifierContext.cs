using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery;

/// <summary>What every medium needs besides the notification: where Monitor is, and how to sign ack links.</summary>
internal sealed class NotifierContext
{
    public NotifierContext(MonitorOptions options, TimeProvider time)
    {
        Options = options;
        Time = time;
        ExternalUrl = options.Server.ExternalUrl ?? new Uri("http://" + options.Server.Listen + "/");
        Ack = options.Server.AckSecret is { } secret ? AckTokens.FromSecret(secret.Reveal()) : null;
    }

    public MonitorOptions Options { get; }

    public TimeProvider Time { get; }

    public Uri ExternalUrl { get; }

    public AckTokens? Ack { get; }

    public string Link(string path) => ExternalUrl.ToString().TrimEnd('/') + "/" + path.TrimStart('/');

    public string AlertsLink => Link("api/v1/alerts");

    /// <summary>
    /// The signed ack link of an alert's firing episode (begun at <paramref name="episode"/>), or null when
    /// <c>server.ack_secret</c> is not set.
    /// </summary>
    public string? AckLink(string fingerprint, DateTimeOffset episode) =>
        Ack is null ? null : Link("ack/" + Ack.Create(fingerprint, episode, Time.GetUtcNow() + AckTokens.Lifetime));
}
