using System.Text.RegularExpressions;
using Monitor.Configuration;

namespace Monitor.Checks.Host;

/// <summary>The <c>host</c> section of a check.</summary>
internal sealed partial record HostCheckOptions : ICheckSettings
{
    /// <summary>Where procfs is mounted (node_exporter's <c>--path.procfs</c>). <value>Default <c>/proc</c>.</value></summary>
    public string Procfs { get; init; } = "/proc";

    /// <summary>Where sysfs is mounted (node_exporter's <c>--path.sysfs</c>). <value>Default <c>/sys</c>.</value></summary>
    public string Sysfs { get; init; } = "/sys";

    /// <summary>udev's device database (node_exporter's <c>--path.udev.data</c>). <value>Default <c>/run/udev/data</c>.</value></summary>
    public string UdevData { get; init; } = "/run/udev/data";

    /// <summary>Block devices left out of <c>node_disk_*</c>. <value>Default: node_exporter's <c>--collector.diskstats.device-exclude</c>.</value></summary>
    public Regex ExcludeDiskDevices { get; init; } = DefaultExcludedDiskDevices();

    /// <summary>Network devices left out of <c>node_network_*</c>. <value>Default: none, as node_exporter.</value></summary>
    public Regex? ExcludeNetworkDevices { get; init; }

    public string Target => Procfs;

    [GeneratedRegex(@"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$", RegexOptions.CultureInvariant)]
    public static partial Regex DefaultExcludedDiskDevices();

    public static HostCheckOptions Read(YamlMap? map)
    {
        if (map is null)
        {
            return new HostCheckOptions();
        }

        var result = new HostCheckOptions();
        result = result with
        {
            Procfs = AbsolutePath(map, "procfs") ?? result.Procfs,
            Sysfs = AbsolutePath(map, "sysfs") ?? result.Sysfs,
            UdevData = AbsolutePath(map, "udev_data") ?? result.UdevData,
        };

        if (map.AnchoredRegex("exclude_disk_devices") is { } disks)
        {
            result = result with { ExcludeDiskDevices = disks };
        }

        if (map.AnchoredRegex("exclude_network_devices") is { } nets)
        {
            result = result with { ExcludeNetworkDevices = nets };
        }

        map.Finish();
        return result;
    }

    private static string? AbsolutePath(YamlMap map, string key)
    {
        string? path = map.String(key);
        if (path is null)
        {
            return null;
        }

        if (!path.StartsWith('/'))
        {
            map.Context.Error(map.Get(key)!.Start, $"{map.Field(key)}: an absolute path, got \"{path}\"");
            return null;
        }

        return path.Length > 1 ? path.TrimEnd('/') : path;
    }
}
