using Monitor.Checks;

namespace Monitor.Tests.Checks;

public sealed class BoundedReadTests
{
    /// <summary>A stream that hands out at most <paramref name="chunk"/> bytes a read, as a chunked response does.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private static byte[] Body(int n) => [.. Enumerable.Range(0, n).Select(i => (byte)(i * 7))];

    [Fact]
    public async Task ReadBytes_BodyLargerThanFirstBuffer_GrowsAndReadsItAll()
    {
        var owner = new ReadBuffer();
        byte[] body = Body(300_000);
        using var read = await BoundedRead.ReadBytesAsync(new Trickle(body, 8192), 1 << 20, lengthHint: null, owner, CancellationToken.None);
        Assert.NotNull(read);
        Assert.True(read.Span.SequenceEqual(body));
    }

    [Fact]
    public async Task ReadBytes_SteadyBody_ReusesTheSameBuffer()
    {
        var owner = new ReadBuffer();
        byte[] body = Body(300_000);
        (await BoundedRead.ReadBytesAsync(new Trickle(body, 65536), 1 << 20, null, owner, CancellationToken.None))!.Dispose();
        int held = owner.Held;
        Assert.True(held >= body.Length);

        byte[] first = owner.Take(1);
        owner.Give(first, body.Length);
        using var again = await BoundedRead.ReadBytesAsync(new Trickle(body, 65536), 1 << 20, null, owner, CancellationToken.None);
        Assert.True(again!.Span.SequenceEqual(body));
        Assert.Equal(0, owner.Held); // in use by the read until it is disposed
        again.Dispose();
        Assert.Same(first, owner.Take(1));
    }

    [Fact]
    public async Task ReadBytes_OverLimit_IsNullAndKeepsTheBuffer()
    {
        var owner = new ReadBuffer();
        Assert.Null(await BoundedRead.ReadBytesAsync(new Trickle(Body(10_000), 1000), 4096, null, owner, CancellationToken.None));
        Assert.True(owner.Held > 0);
    }

    [Fact]
    public void Give_BufferFourTimesWhatWasUsed_IsLetGo()
    {
        var owner = new ReadBuffer();
        owner.Give(new byte[8 << 20], used: 1 << 20);
        Assert.Equal(0, owner.Held);
        owner.Give(new byte[8 << 20], used: 3 << 20);
        Assert.Equal(8 << 20, owner.Held);
        owner.Give(new byte[64 << 10], used: 1); // small buffers are always kept
        Assert.Equal(64 << 10, owner.Held);
    }

    [Fact]
    public void Take_WhileTheBufferIsOut_GivesASecondOne()
    {
        var owner = new ReadBuffer();
        owner.Give(new byte[4096], 4096);
        byte[] a = owner.Take(100);
        byte[] b = owner.Take(100);
        Assert.NotSame(a, b);
    }
}
