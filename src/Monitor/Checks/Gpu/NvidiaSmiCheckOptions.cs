using Monitor.Configuration;

namespace Monitor.Checks.Gpu;

/// <summary>The <c>nvidia_smi</c> section of a check.</summary>
internal sealed record NvidiaSmiCheckOptions : ICheckSettings
{
    /// <summary>The nvidia-smi executable. <value>Default <c>nvidia-smi</c> from PATH.</value></summary>
    public string Path { get; init; } = "nvidia-smi";

    /// <summary>
    /// The most nvidia-smi may write to stdout; more kills it and fails the run (reason <c>output_limit</c>).
    /// <value>Default 16 MiB (a GPU's row is under 1 KiB).</value>
    /// </summary>
    public long OutputLimit { get; init; } = DefaultOutputLimit;

    public const long DefaultOutputLimit = 16L << 20;

    /// <summary>What of stderr is read (it only goes into an error text).</summary>
    public const long StderrLimit = 64L << 10;

    public string Target => Path;

    public static NvidiaSmiCheckOptions Read(YamlMap? map)
    {
        if (map is null)
        {
            return new NvidiaSmiCheckOptions();
        }

        string? path = map.String("path");
        long limit = map.ByteSize("output_limit", 1, 1L << 30) ?? DefaultOutputLimit;
        map.Finish();
        return new NvidiaSmiCheckOptions { Path = path is { Length: > 0 } ? path : "nvidia-smi", OutputLimit = limit };
    }
}
