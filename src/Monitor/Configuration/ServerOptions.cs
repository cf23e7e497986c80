namespace Monitor.Configuration;

internal sealed record ServerOptions
{
    /// <summary>Address the HTTP server listens on. <value>Default <c>127.0.0.1:9747</c>.</value></summary>
    public string Listen { get; init; } = "127.0.0.1:9747";

    /// <summary>Bearer token for mutating API calls. <value>Default unset: mutating API calls answer 403.</value></summary>
    public Secret? ApiToken { get; init; }

    /// <summary>Base URL of links put into notifications. <value>Default <c>http://{listen}</c>.</value></summary>
    public Uri? ExternalUrl { get; init; }

    /// <summary>Key that signs acknowledgement links. <value>Default unset: notifications carry no ack link.</value></summary>
    public Secret? AckSecret { get; init; }
}
