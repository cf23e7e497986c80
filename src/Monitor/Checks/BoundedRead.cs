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
    /// The bytes, read straight into <paramref name="owner"/>'s buffer (no copy, no string: a scrape's body is parsed
    /// as UTF-8), or null when the stream has more than <paramref name="limit"/> bytes. <paramref name="lengthHint"/>
    /// (Content-Length) sizes a first buffer. Dispose the result to hand the buffer back to its owner.
    /// </summary>
    public static async Task<HeldBytes?> ReadBytesAsync(Stream stream, long limit, long? lengthHint, ReadBuffer owner, CancellationToken cancellationToken)
    {
        // One byte past the limit is room enough to tell a body of exactly the limit from a larger one.
        int most = (int)Math.Min(limit + 1, Array.MaxLength);
        byte[] buffer = owner.Take((int)Math.Min(Math.Max(lengthHint + 1 ?? 81920, 4096), most));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = GC.AllocateUninitializedArray<byte>((int)Math.Min((long)buffer.Length * 2, most));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    buffer = larger;
                }

                int room = Math.Min(buffer.Length - length, most - length);
                int read = await stream.ReadAsync(buffer.AsMemory(length, room), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    owner.Give(buffer, length);
                    return null;
                }
            }
        }
        catch
        {
            owner.Give(buffer, length);
            throw;
        }

        return new HeldBytes(owner, buffer, length);
    }

    /// <summary>A byte count as the configuration writes it: <c>16MiB</c>, <c>512KiB</c>, <c>100B</c>.</summary>
    public static string Format(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30}GiB"
        : bytes % (1L << 20) == 0 ? $"{bytes >> 20}MiB"
        : bytes % (1L << 10) == 0 ? $"{bytes >> 10}KiB"
        : $"{bytes}B";
}

/// <summary>
/// The one read buffer of a check whose runs never overlap (a scrape): kept from one run to the next, so a steady
/// scrape of a large endpoint allocates nothing for its body and holds one buffer the size of it. Buffers from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/> were kept instead per thread and per size on the way up
/// (128 KiB … 16 MiB each time the body had no Content-Length), tens of MB per thread that ran a scrape's
/// continuation, on the large-object heap. A buffer four times larger than what the last run needed (the body
/// shrank) is let go, so one large body does not pin its size for ever.
/// </summary>
internal sealed class ReadBuffer
{
    private const int AlwaysKept = 1 << 20;

    private byte[]? _buffer;

    /// <summary>The kept buffer if it holds <paramref name="atLeast"/> bytes, else a new one; a second run at once gets its own.</summary>
    public byte[] Take(int atLeast)
    {
        byte[]? kept = Interlocked.Exchange(ref _buffer, null);
        return kept is not null && kept.Length >= atLeast ? kept : GC.AllocateUninitializedArray<byte>(atLeast);
    }

    public void Give(byte[] buffer, int used)
    {
        if (buffer.Length <= AlwaysKept || (long)used * 4 >= buffer.Length)
        {
            Volatile.Write(ref _buffer, buffer);
        }
    }

    /// <summary>Bytes held between runs.</summary>
    public int Held => Volatile.Read(ref _buffer)?.Length ?? 0;
}

/// <summary>Bytes in a <see cref="ReadBuffer"/>'s buffer; disposing hands the buffer back.</summary>
internal sealed class HeldBytes(ReadBuffer owner, byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(HeldBytes))).AsSpan(0, length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } held)
        {
            owner.Give(held, length);
        }
    }
}
