using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Monitor.Checks.FileStat;

/// <summary>
/// The content expectations of a <c>file</c> check, read streaming with bounded memory (a 64 KiB buffer and
/// a 4 KiB tail), however large the file.
/// </summary>
internal static class FileContent
{
    /// <summary>How much of the (decompressed) end of a dump is kept to look for pg_dump's trailer.</summary>
    public const int TailBytes = 4096;

    private const int BufferBytes = 64 * 1024;

    /// <summary>
    /// A gzip file that decompresses in full and whose last member's trailer matches what it decompressed to
    /// (CRC-32 and length). .NET's GZipStream ends silently at a truncation, so the trailer is checked here:
    /// against all the output for one member, against the last ISIZE bytes of it for concatenated members
    /// (earlier members' trailers are verified by the decompressor when it crosses them). Null when valid,
    /// else why not. <paramref name="tail"/> receives the last <see cref="TailBytes"/> of the output.
    /// </summary>
    public static async Task<(string? Invalid, long Length)> VerifyGzipAsync(string path, byte[]? tail, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = BufferBytes, Options = FileOptions.SequentialScan | FileOptions.Asynchronous });
        if (file.Length < 18)
        {
            return ($"{file.Length} bytes is shorter than any gzip file", 0);
        }

        var trailer = new byte[8];
        file.Seek(-8, SeekOrigin.End);
        await file.ReadExactlyAsync(trailer, cancellationToken);
        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(4));
        file.Seek(0, SeekOrigin.Begin);
        var magic = new byte[2];
        await file.ReadExactlyAsync(magic, cancellationToken);
        if (magic[0] != 0x1f || magic[1] != 0x8b)
        {
            return ("not gzip (no 1f 8b magic)", 0);
        }

        file.Seek(0, SeekOrigin.Begin);
        var crc = new Crc32();
        long total;
        try
        {
            total = await DecompressAsync(file, data => crc.Append(data.Span), tail, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            return ($"corrupt: {e.Message}", 0);
        }

        if (crc.GetCurrentHashAsUInt32() == expectedCrc && (uint)total == expectedSize)
        {
            return (null, total);
        }

        if (expectedSize < total)
        {
            // Concatenated members: the last one decompressed to the last ISIZE bytes.
            long from = total - expectedSize;
            var suffix = new Crc32();
            long at = 0;
            file.Seek(0, SeekOrigin.Begin);
            await DecompressAsync(
                file,
                data =>
                {
                    long start = Math.Max(0, from - at);
                    if (start < data.Length)
                    {
                        suffix.Append(data.Span[(int)start..]);
                    }

                    at += data.Length;
                },
                null,
                cancellationToken);
            if (suffix.GetCurrentHashAsUInt32() == expectedCrc)
            {
                return (null, total);
            }
        }

        return ($"truncated or corrupt: decompressed {total} bytes, but the gzip trailer does not match them", total);
    }

    /// <summary>
    /// Whether a plain-text pg_dump (or pg_dumpall) output ends with its completion trailer: the last line that
    /// is not blank, not a bare <c>--</c> and not pg_dump's <c>\unrestrict</c> is
    /// <c>-- PostgreSQL database dump complete</c> (<c>database cluster dump complete</c> for pg_dumpall).
    /// </summary>
    public static bool HasDumpTrailer(ReadOnlySpan<byte> tail)
    {
        string text = Encoding.UTF8.GetString(tail);
        foreach (string raw in text.Split('\n').Reverse())
        {
            string line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line == "--" || line.StartsWith("\\unrestrict ", StringComparison.Ordinal))
            {
                continue;
            }

            return line is "-- PostgreSQL database dump complete" or "-- PostgreSQL database cluster dump complete";
        }

        return false;
    }

    /// <summary>The last <see cref="TailBytes"/> of a file, read from its end.</summary>
    public static async Task<byte[]> ReadTailAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, Options = FileOptions.Asynchronous });
        int length = (int)Math.Min(TailBytes, file.Length);
        var tail = new byte[length];
        file.Seek(-length, SeekOrigin.End);
        await file.ReadExactlyAsync(tail, cancellationToken);
        return tail;
    }

    /// <summary>Whether a file starts with gzip's magic bytes.</summary>
    public static bool IsGzip(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> magic = stackalloc byte[2];
        return file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>Decompresses every member, handing each block to <paramref name="block"/>; returns the output length. <paramref name="tail"/> (when given) ends up with the last bytes, right-aligned (only the last min(length, tail) bytes are output).</summary>
    private static async Task<long> DecompressAsync(Stream file, Action<ReadOnlyMemory<byte>> block, byte[]? tail, CancellationToken cancellationToken)
    {
        await using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        var buffer = new byte[BufferBytes];
        long total = 0;
        int read;
        while ((read = await gzip.ReadAsync(buffer, cancellationToken)) > 0)
        {
            block(buffer.AsMemory(0, read));
            total += read;
            if (tail is not null)
            {
                KeepTail(tail, buffer.AsSpan(0, read));
            }
        }

        return total;
    }

    private static void KeepTail(byte[] tail, ReadOnlySpan<byte> data)
    {
        if (data.Length >= tail.Length)
        {
            data[^tail.Length..].CopyTo(tail);
            return;
        }

        // Shift left by what arrives and append it.
        Buffer.BlockCopy(tail, data.Length, tail, 0, tail.Length - data.Length);
        data.CopyTo(tail.AsSpan(tail.Length - data.Length));
    }
}
