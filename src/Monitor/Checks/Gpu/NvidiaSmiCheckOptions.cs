using Monitor.Configuration;

namespace Monitor.Checks.Gpu;

/// <summary>The <c>nvidia_smi</c> section of a check.</summary>
internal sealed record NvidiaSmiCheckOptions : ICheckSettings
{
    /// <summary>The nvidia-smi executable. <value>Default <c>nvidia-smi</c> from PATH.</value></summary>
    public string Path { get; init; } = "nvidia-smi";

    public string Target => Path;

    public static NvidiaSmiCheckOptions Read(YamlMap? map)
    {
        if (map is null)
        {
            return new NvidiaSmiCheckOptions();
        }

        string? path = map.String("path");
        map.Finish();
        return path is { Length: > 0 } ? new NvidiaSmiCheckOptions { Path = path } : new NvidiaSmiCheckOptions();
    }
}
