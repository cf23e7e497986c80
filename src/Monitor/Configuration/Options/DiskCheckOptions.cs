using System.Text.RegularExpressions;

namespace Monitor.Configuration;

internal sealed partial record DiskCheckOptions
{
    /// <summary>Mount points to report. <value>Default: every real filesystem (node_exporter's exclusions).</value></summary>
    public IReadOnlyList<string> Mountpoints { get; init; } = [];

    /// <summary>Mount points excluded when <see cref="Mountpoints"/> is empty. <value>Default: node_exporter's.</value></summary>
    public Regex ExcludeMountpoints { get; init; } = DefaultExcludedMountpoints();

    /// <summary>Filesystem types excluded when <see cref="Mountpoints"/> is empty. <value>Default: node_exporter's.</value></summary>
    public Regex ExcludeFsTypes { get; init; } = DefaultExcludedFsTypes();

    [GeneratedRegex("^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)", RegexOptions.CultureInvariant)]
    public static partial Regex DefaultExcludedMountpoints();

    [GeneratedRegex("^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$", RegexOptions.CultureInvariant)]
    public static partial Regex DefaultExcludedFsTypes();
}
