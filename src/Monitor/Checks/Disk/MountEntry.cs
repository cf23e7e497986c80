namespace Monitor.Checks.Disk;

/// <summary>One line of the mount table.</summary>
internal sealed record MountEntry(string Device, string Mountpoint, string FsType, bool ReadOnly);
