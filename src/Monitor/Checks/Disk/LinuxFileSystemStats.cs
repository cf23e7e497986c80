using System.Runtime.InteropServices;

namespace Monitor.Checks.Disk;

/// <summary>statvfs through libc. Sizes use the fragment size, as df does.</summary>
internal sealed partial class LinuxFileSystemStats : IFileSystemStats
{
    public static readonly LinuxFileSystemStats Instance = new();

    public FileSystemUsage Stat(string mountpoint)
    {
        if (StatVfs(mountpoint, out var buf) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statvfs {mountpoint}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        double fragment = buf.FragmentSize != 0 ? buf.FragmentSize : buf.BlockSize;
        return new FileSystemUsage(
            buf.Blocks * fragment,
            buf.BlocksFree * fragment,
            buf.BlocksAvailable * fragment,
            buf.Files,
            buf.FilesFree);
    }

    // glibc's struct statvfs on 64-bit Linux: eleven unsigned longs, then int __f_spare[6].
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsBuffer
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Files;
        public ulong FilesFree;
        public ulong FilesAvailable;
        public ulong FsId;
        public ulong Flags;
        public ulong NameMax;
        public ulong Spare0;
        public ulong Spare1;
        public ulong Spare2;
    }

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatVfs(string path, out StatVfsBuffer buffer);
}
