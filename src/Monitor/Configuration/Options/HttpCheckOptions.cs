namespace Monitor.Configuration;

internal sealed record HttpCheckOptions
{
    public required Uri Url { get; init; }

    /// <summary>HTTP method. <value>Default GET.</value></summary>
    public string Method { get; init; } = "GET";

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Request body. <value>Default none.</value></summary>
    public string? Body { get; init; }

    /// <summary>Follow redirects (up to 10, as blackbox_exporter does). <value>Default true.</value></summary>
    public bool FollowRedirects { get; init; } = true;

    /// <summary>Accept any certificate. <value>Default false.</value></summary>
    public bool InsecureSkipVerify { get; init; }

    public HttpExpectOptions Expect { get; init; } = new();
}
