using System.Globalization;
using System.Runtime.InteropServices;

namespace Monitor.Checks.Docker;

/// <summary>The group owning a file (statx(2), whose layout is the same on every architecture) and its name from /etc/group.</summary>
internal static partial class SocketOwner
{
    private const int AtFdCwd = -100;
    private const uint StatxGid = 0x10;

    /// <summary>Offset of <c>stx_gid</c> in <c>struct statx</c>: mask, blksize (u32), attributes (u64), nlink, uid (u32).</summary>
    private const int GidOffset = 24;

    public static (long Gid, string? Name)? GroupOf(string path, string groupFile = "/etc/group")
    {
        long? gid = GidOf(path);
        return gid is { } g ? (g, GroupName(g, groupFile)) : null;
    }

    public static long? GidOf(string path)
    {
        var buffer = new byte[256];
        try
        {
            return Statx(AtFdCwd, path, 0, StatxGid, buffer) == 0 ? BitConverter.ToUInt32(buffer, GidOffset) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    public static string? GroupName(long gid, string groupFile)
    {
        try
        {
            string id = gid.ToString(CultureInfo.InvariantCulture);
            foreach (string line in File.ReadLines(groupFile))
            {
                // name:password:gid:members
                string[] fields = line.Split(':');
                if (fields.Length >= 3 && fields[2] == id && fields[0].Length > 0)
                {
                    return fields[0];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);
}
