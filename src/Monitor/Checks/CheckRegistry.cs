using Monitor.Checks.Disk;
using Monitor.Checks.Docker;
using Monitor.Checks.FileStat;
using Monitor.Checks.Gpu;
using Monitor.Checks.Host;
using Monitor.Checks.Http;
using Monitor.Checks.Kubernetes;
using Monitor.Checks.Logs;
using Monitor.Checks.Postgres;
using Monitor.Checks.Redis;
using Monitor.Checks.Scrape;
using Monitor.Checks.Tcp;

namespace Monitor.Checks;

/// <summary>
/// Every check kind. The configuration loader reads checks through it, the factory builds them through it and
/// the self-metrics label them by it; adding a kind is a folder under <c>Checks/</c> and one line here.
/// </summary>
internal static class CheckRegistry
{
    public static IReadOnlyList<CheckKind> Kinds { get; } =
    [
        HttpCheck.Kind,
        TcpCheck.Kind,
        PostgresCheck.Kind,
        NvidiaSmiCheck.Kind,
        ScrapeCheck.Kind,
        DiskCheck.Kind,
        HostCheck.Kind,
        KubernetesCheck.Kind,
        RedisCheck.Kind,
        FileStatCheck.Kind,
        LogsCheck.Kind,
        DockerCheck.Kind,
    ];
}
