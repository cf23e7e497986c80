namespace Monitor.Checks.Disk;

/// <summary>statvfs(3); an interface so tests can stand in a mount that hangs or fails.</summary>
internal interface IFileSystemStats
{
    /// <summary>Blocks until the kernel answers (a dead NFS server can make that forever); throws IOException on error.</summary>
    FileSystemUsage Stat(string mountpoint);
}
