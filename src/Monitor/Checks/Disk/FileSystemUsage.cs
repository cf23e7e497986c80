namespace Monitor.Checks.Disk;

/// <summary>Sizes in bytes, inode counts; <see cref="AvailableBytes"/> is what a non-root user may still use.</summary>
internal readonly record struct FileSystemUsage(double SizeBytes, double FreeBytes, double AvailableBytes, double Files, double FilesFree);
