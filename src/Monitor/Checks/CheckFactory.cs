using Monitor.Checks.Disk;
using Monitor.Checks.Gpu;
using Monitor.Checks.Http;
using Monitor.Checks.Kubernetes;
using Monitor.Checks.Postgres;
using Monitor.Checks.Scrape;
using Monitor.Checks.Tcp;
using Monitor.Checks.Unsupported;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks;

/// <summary>Builds the check for a configured kind. Adding a kind means one folder and one line here.</summary>
internal sealed class CheckFactory(TimeProvider timeProvider, SeriesStore store, IServiceProvider services) : ICheckFactory
{
    public ICheck Create(CheckOptions options, SeriesScope scope) => options.Kind switch
    {
        CheckKind.Http => new HttpCheck(options, scope, timeProvider),
        CheckKind.Tcp => new TcpCheck(options, scope, timeProvider),
        CheckKind.Disk => new DiskCheck(options, scope, timeProvider, LinuxFileSystemStats.Instance, DiskCheck.DefaultMountTable),
        CheckKind.NvidiaSmi => new NvidiaSmiCheck(options, scope),
        CheckKind.Scrape => new ScrapeCheck(options, store, scope),
        CheckKind.Postgres => new PostgresCheck(options, scope),
        CheckKind.Kubernetes => new KubernetesCheck(options, scope, timeProvider, discovered: (source, checks) =>
            ((Scheduling.CheckScheduler)services.GetService(typeof(Scheduling.CheckScheduler))!).SetDiscovered(source, checks)),
        _ => new UnsupportedCheck(options),
    };
}
