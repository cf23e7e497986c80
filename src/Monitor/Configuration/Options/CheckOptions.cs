namespace Monitor.Configuration;

/// <summary>One entry of <c>checks:</c>; exactly one of the kind sections is set.</summary>
internal sealed record CheckOptions
{
    public required string Name { get; init; }

    public required CheckKind Kind { get; init; }

    /// <summary>How often it runs. <value>Default <c>defaults.interval</c>.</value></summary>
    public TimeSpan Interval { get; init; }

    /// <summary>How long one run may take. <value>Default <c>defaults.timeout</c>, at most the interval.</value></summary>
    public TimeSpan Timeout { get; init; }

    /// <summary>Labels added to every series of the check.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public HttpCheckOptions? Http { get; init; }

    public TcpCheckOptions? Tcp { get; init; }

    public PostgresCheckOptions? Postgres { get; init; }

    public NvidiaSmiCheckOptions? NvidiaSmi { get; init; }

    public ScrapeCheckOptions? Scrape { get; init; }

    public DiskCheckOptions? Disk { get; init; }

    public KubernetesCheckOptions? Kubernetes { get; init; }

    /// <summary>Where the check is defined, for messages.</summary>
    public string Origin { get; init; } = string.Empty;

    /// <summary>What the check points at, for <c>/api/v1/checks</c>; never contains a secret.</summary>
    public string Target => Kind switch
    {
        CheckKind.Http => Http!.Url.ToString(),
        CheckKind.Tcp => Tcp!.Address,
        CheckKind.Postgres => "postgres",
        CheckKind.NvidiaSmi => NvidiaSmi!.Path,
        CheckKind.Scrape => Scrape!.Url.ToString(),
        CheckKind.Disk => Disk!.Mountpoints.Count == 0 ? "all filesystems" : string.Join(",", Disk.Mountpoints),
        CheckKind.Kubernetes => Kubernetes!.Kubeconfig ?? "in-cluster",
        _ => string.Empty,
    };

    /// <summary>
    /// A canonical description of everything that affects how the check runs, so a reload can tell an
    /// unchanged check (keep its series and schedule) from a changed one.
    /// </summary>
    public string Fingerprint { get; init; } = string.Empty;
}
