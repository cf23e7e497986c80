using System.Buffers;
using System.Text;

namespace Monitor.Checks;

/// <summary>
/// Reads a stream as UTF-8 text up to a byte limit, so a peer can never make a check hold more than that:
/// a body that is larger (after decompression, which happens as it is read) stops the read at the limit.
/// </summary>
internal static class BoundedRead
{
    /// <summary>The text, or null when the stream has more than <paramref name="limit"/> bytes.</summary>
    public static async Task<string?> ReadAsync(Stream stream, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        while (true)
        {
            int read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                break;
            }

            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// The bytes, read straight into a buffer rented from <see cref="ArrayPool{T}.Shared"/> (no copy, no string: a
    /// scrape's body is parsed as UTF-8), or null when the stream has more than <paramref name="limit"/> bytes.
    /// <paramref name="lengthHint"/> (Content-Length) sizes the first buffer. Dispose the result to return it.
    /// </summary>
    public static async Task<RentedBytes?> ReadBytesAsync(Stream stream, long limit, long? lengthHint, CancellationToken cancellationToken)
    {
        // One byte past the limit is room enough to tell a body of exactly the limit from a larger one.
        long most = Math.Min(limit + 1, Array.MaxLength);
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(lengthHint + 1 ?? 81920, 4096), most));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, most));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int room = (int)Math.Min(buffer.Length - length, most - length);
                int read = await stream.ReadAsync(buffer.AsMemory(length, room), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new RentedBytes(buffer, length);
    }

    /// <summary>A byte count as the configuration writes it: <c>16MiB</c>, <c>512KiB</c>, <c>100B</c>.</summary>
    public static string Format(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30}GiB"
        : bytes % (1L << 20) == 0 ? $"{bytes >> 20}MiB"
        : bytes % (1L << 10) == 0 ? $"{bytes >> 10}KiB"
        : $"{bytes}B";
}

/// <summary>Bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; disposing returns the buffer.</summary>
internal sealed class RentedBytes(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(RentedBytes))).AsSpan(0, length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
