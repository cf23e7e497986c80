namespace Monitor.Configuration;

internal sealed record NvidiaSmiCheckOptions
{
    /// <summary>The nvidia-smi executable. <value>Default <c>nvidia-smi</c> from PATH.</value></summary>
    public string Path { get; init; } = "nvidia-smi";
}
