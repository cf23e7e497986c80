namespace Monitor.Checks.Host;

/// <summary>A file under procfs or sysfs that could not be read; the message says which and why.</summary>
internal sealed class HostReadException(string path, string why) : Exception($"{path}: {why}")
{
    public string Path { get; } = path;
}
