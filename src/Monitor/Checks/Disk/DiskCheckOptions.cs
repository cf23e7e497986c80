using System.Text.RegularExpressions;
using Monitor.Configuration;
using YamlDotNet.RepresentationModel;

namespace Monitor.Checks.Disk;

/// <summary>The <c>disk</c> section of a check.</summary>
internal sealed partial record DiskCheckOptions : ICheckSettings
{
    /// <summary>Mount points to report. <value>Default: every real filesystem (node_exporter's exclusions).</value></summary>
    public IReadOnlyList<string> Mountpoints { get; init; } = [];

    /// <summary>Mount points excluded when <see cref="Mountpoints"/> is empty. <value>Default: node_exporter's.</value></summary>
    public Regex ExcludeMountpoints { get; init; } = DefaultExcludedMountpoints();

    /// <summary>Filesystem types excluded when <see cref="Mountpoints"/> is empty. <value>Default: node_exporter's.</value></summary>
    public Regex ExcludeFsTypes { get; init; } = DefaultExcludedFsTypes();

    public string Target => Mountpoints.Count == 0 ? "all filesystems" : string.Join(",", Mountpoints);

    [GeneratedRegex("^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)", RegexOptions.CultureInvariant)]
    public static partial Regex DefaultExcludedMountpoints();

    [GeneratedRegex("^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$", RegexOptions.CultureInvariant)]
    public static partial Regex DefaultExcludedFsTypes();

    public static DiskCheckOptions Read(YamlMap? map)
    {
        if (map is null)
        {
            return new DiskCheckOptions();
        }

        var mountpoints = map.Strings("mountpoints") ?? [];
        foreach (var (node, path) in map.Sequence("mountpoints") ?? [])
        {
            if (node is YamlScalarNode { Value: { } v } && !v.StartsWith('/'))
            {
                map.Context.Error(node.Start, $"{path}: mount points are absolute paths, got \"{v}\"");
            }
        }

        var result = new DiskCheckOptions { Mountpoints = mountpoints };
        if (map.AnchoredRegex("exclude_mountpoints") is { } em)
        {
            result = result with { ExcludeMountpoints = em };
        }

        if (map.AnchoredRegex("exclude_fstypes") is { } ef)
        {
            result = result with { ExcludeFsTypes = ef };
        }

        map.Finish();
        return result;
    }
}
