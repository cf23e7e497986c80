namespace Monitor.Configuration;

internal sealed record HttpExpectOptions
{
    /// <summary>Acceptable status codes. <value>Default: any 2xx.</value></summary>
    public IReadOnlyList<int> Status { get; init; } = [];

    /// <summary>Dotted JSON paths (<c>a.b.0.c</c>) and the values they must hold.</summary>
    public IReadOnlyDictionary<string, string> BodyJson { get; init; } = new Dictionary<string, string>();

    /// <summary>Text the body must contain. <value>Default none.</value></summary>
    public string? BodyContains { get; init; }

    /// <summary>Slowest acceptable response. <value>Default none.</value></summary>
    public TimeSpan? MaxResponseTime { get; init; }

    /// <summary>Fewest days the certificate chain must still be valid; applies to https only. <value>Default none.</value></summary>
    public int? MinCertDays { get; init; }

    public bool ReadsBody => BodyJson.Count > 0 || BodyContains is not null;
}
