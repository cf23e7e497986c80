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

    /// <summary>A byte count as the configuration writes it: <c>16MiB</c>, <c>512KiB</c>, <c>100B</c>.</summary>
    public static string Format(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30}GiB"
        : bytes % (1L << 20) == 0 ? $"{bytes >> 20}MiB"
        : bytes % (1L << 10) == 0 ? $"{bytes >> 10}KiB"
        : $"{bytes}B";
}
