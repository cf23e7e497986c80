using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Monitor.Checks.Logs;

/// <summary>A file's device and inode: what stays with a file across a rename and changes when a new file takes its path.</summary>
internal readonly record struct FileId(ulong Device, ulong Inode);

/// <summary>
/// Linux <c>statx(2)</c> through libc. .NET has no inode API; statx is chosen over <c>stat</c> because its
/// struct has one layout on every architecture (glibc's <c>struct stat</c> differs between x64 and arm64), and
/// with <c>AT_EMPTY_PATH</c> it also answers for an open descriptor, which identifies the file actually read
/// even when the path has been rotated in between.
/// </summary>
internal static partial class FileIdentity
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxIno = 0x100;
    private const uint StatxSize = 0x200;

    /// <summary>The identity and size of the file at <paramref name="path"/>, or null when there is none.</summary>
    public static (FileId Id, long Size)? OfPath(string path)
    {
        if (Statx(AtFdCwd, path, 0, StatxIno | StatxSize, out var buf) == 0)
        {
            return (new FileId(((ulong)buf.DevMajor << 32) | buf.DevMinor, buf.Inode), (long)buf.Size);
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno is 2 or 20 ? null : throw new IOException($"statx {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>The identity of an open file.</summary>
    public static FileId OfHandle(SafeFileHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (Statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxIno, out var buf) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"statx: {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            return new FileId(((ulong)buf.DevMajor << 32) | buf.DevMinor, buf.Inode);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // struct statx (linux/stat.h): 256 bytes, the same on every architecture.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(32)]
        public ulong Inode;

        [FieldOffset(40)]
        public ulong Size;

        [FieldOffset(136)]
        public uint DevMajor;

        [FieldOffset(140)]
        public uint DevMinor;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);
}
