using System.Runtime.InteropServices;
using System.Text;

namespace Monitor.Checks.Host;

/// <summary>uname(2), as node_exporter reads it (the kernel's answer, not a file: the same through a mounted host /proc).</summary>
internal sealed partial record UnameInfo(string SysName, string Release, string Version, string Machine, string NodeName, string DomainName)
{
    // glibc's struct utsname on Linux: six fields of _UTSNAME_LENGTH (65) bytes.
    private const int FieldLength = 65;

    public static UnameInfo Read()
    {
        byte[] buffer = new byte[FieldLength * 6];
        if (Uname(buffer) != 0)
        {
            throw new IOException($"uname: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return FromBuffer(buffer);
    }

    /// <summary>Fields in struct order: sysname, nodename, release, version, machine, domainname.</summary>
    public static UnameInfo FromBuffer(ReadOnlySpan<byte> buffer)
    {
        return new UnameInfo(Field(buffer, 0), Field(buffer, 2), Field(buffer, 3), Field(buffer, 4), Field(buffer, 1), Field(buffer, 5));
    }

    private static string Field(ReadOnlySpan<byte> buffer, int index)
    {
        var field = buffer.Slice(index * FieldLength, FieldLength);
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    [LibraryImport("libc", EntryPoint = "uname", SetLastError = true)]
    private static partial int Uname([Out] byte[] buffer);
}
