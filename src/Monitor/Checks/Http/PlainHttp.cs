using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Monitor.Checks.Http;

/// <summary>
/// One HTTP/1.1 exchange over a fresh plain-text connection, written by hand for the probe's default path
/// (<c>http://</c>, a new connection per probe, closed after it): the request goes out in one write, the
/// response head is parsed from the socket's bytes, and the body is read through its framing (Content-Length,
/// chunked or to the close) and its Content-Encoding. <see cref="SocketsHttpHandler"/> does the same with a
/// connection pool, header collections and per-request state this path never uses; measured at 1,000 probes a
/// second it cost ~80 µs of CPU and ~10 KB of allocation per probe more (docs/benchmarks.md). TLS and kept-alive
/// connections stay with the handler.
/// </summary>
internal static class PlainHttp
{
    /// <summary>
    /// The longest response head read, as <see cref="HttpCheck"/> sets its handler's limit too: past
    /// <see cref="SocketsHttpHandler"/>'s default of 64 KiB, which fails heads that blackbox_exporter (Go: 10 MiB)
    /// accepts, and still a bound on what a flooding target can make a probe hold.
    /// </summary>
    internal const int MaxHeadBytes = MaxHeadKilobytes * 1024;

    internal const int MaxHeadKilobytes = 1024;

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>
    /// A connection and its read buffer. With <c>keepalive: true</c> a check keeps one between runs: it is handed
    /// back only after a response that left it clean (see <see cref="Response"/>).
    /// </summary>
    internal sealed class Connection(Socket socket, string host, int port) : IDisposable
    {
        public Socket Socket { get; } = socket;

        public Reader Reader { get; } = new(socket);

        /// <summary>Whether it goes to <paramref name="toHost"/>:<paramref name="toPort"/>, as a redirect may not.</summary>
        public bool For(string toHost, int toPort) => toPort == port && string.Equals(toHost, host, StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// Whether it can carry the next request: nothing buffered, and nothing to read either — a kept
        /// connection that is readable was closed by the server (or got bytes nobody asked for).
        /// </summary>
        public bool Idle
        {
            get
            {
                try
                {
                    return Reader.Buffered.IsEmpty && !Socket.Poll(0, SelectMode.SelectRead);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return false;
                }
            }
        }

        /// <summary>Set aside between runs: its read buffer goes back to the pool (a kept connection has nothing buffered).</summary>
        public void Park() => Reader.Release();

        public void Dispose()
        {
            Socket.Dispose();
            Reader.Release();
        }
    }

    /// <summary>
    /// A kept connection failed before any byte of the response arrived: the server had closed it while it was
    /// idle. The request goes again on a new connection, as SocketsHttpHandler retries on its pooled ones.
    /// </summary>
    internal sealed class StaleConnectionException(Exception inner) : Exception("the kept connection was closed by the server", inner);

    /// <summary>
    /// The response's status line and the headers the probe uses; <see cref="Body"/> reads the decoded body.
    /// Disposing it hands the connection to <paramref name="keep"/> when the exchange left it reusable (HTTP/1.1,
    /// no <c>Connection: close</c>, the body read to its end by its length or chunks, nothing more buffered), and
    /// closes it otherwise.
    /// </summary>
    internal sealed class Response(Connection connection, BodyStream framed, Stream body, bool reusable, Action<Connection>? keep) : IDisposable
    {
        public required int Status { get; init; }

        public required Version Version { get; init; }

        /// <summary>See <see cref="ReportedLength"/>.</summary>
        public required long ContentLength { get; init; }

        public required string? Location { get; init; }

        public Stream Body { get; } = body;

        public void Dispose()
        {
            Body.Dispose();
            if (keep is not null && reusable && framed.Done && connection.Reader.Buffered.IsEmpty)
            {
                keep(connection);
            }
            else
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>
    /// Writes the <paramref name="request"/> (from <see cref="BuildRequest"/>) on <paramref name="connection"/> and reads the response
    /// head. The response owns the connection from then on; on failure it is the caller's to dispose. On a
    /// <paramref name="reused"/> connection, a failure before any response byte is a <see cref="StaleConnectionException"/>.
    /// </summary>
    public static async Task<Response> ExchangeAsync(
        Connection connection, string method, byte[] request, bool reused, Action<Connection>? keep, CancellationToken cancellationToken)
    {
        var reader = connection.Reader;
        long received = reader.Received;
        bool first = true;
        while (true)
        {
            int headLength;
            try
            {
                if (first)
                {
                    await connection.Socket.SendAsync(request, SocketFlags.None, cancellationToken);
                }

                headLength = await reader.ReadHeadAsync(cancellationToken);
            }
            catch (Exception e) when (reused && first && reader.Received == received && !cancellationToken.IsCancellationRequested
                && e is SocketException or IOException or ProbeException)
            {
                throw new StaleConnectionException(e);
            }

            first = false;
            var head = ParseHead(reader.Buffered[..headLength]);
            reader.Consume(headLength);
            if (head.Status is >= 100 and < 200 && head.Status != 101)
            {
                // An interim response (100 Continue, 103 Early Hints): the real one follows.
                continue;
            }

            var framed = method == "HEAD" || head.Status is 204 or 304 or (>= 100 and < 200)
                ? new BodyStream(reader, BodyStream.Framing.Length, 0)
                : head.Chunked
                    ? new BodyStream(reader, BodyStream.Framing.Chunked, 0)
                    : head.ContentLength >= 0
                        ? new BodyStream(reader, BodyStream.Framing.Length, head.ContentLength)
                        : new BodyStream(reader, BodyStream.Framing.Close, 0);
            return new Response(connection, framed, Decode(framed, head.Encoding), head.Persistent, keep)
            {
                Status = head.Status,
                Version = head.Version,
                ContentLength = ReportedLength(head.Status, head.Chunked, head.ContentLength),
                Location = head.Location,
            };
        }
    }

    /// <summary>The request's bytes: head and body, for one write. A header that cannot be sent as it is fails the run.</summary>
    /// <summary>
    /// The body as its Content-Encoding says, so that body checks read text. Nothing asks for an encoding (as
    /// blackbox_exporter does not), but a server may send one anyway.
    /// </summary>
    internal static Stream Decode(Stream body, string? encoding) => encoding?.Trim().ToLowerInvariant() switch
    {
        "gzip" or "x-gzip" => new GZipStream(body, CompressionMode.Decompress),
        "deflate" => new ZLibStream(body, CompressionMode.Decompress),
        "br" => new BrotliStream(body, CompressionMode.Decompress),
        _ => body,
    };

    /// <summary>
    /// <c>probe_http_content_length</c> as blackbox_exporter reports it (Go's <c>Response.ContentLength</c>): the
    /// Content-Length header as sent, -1 when there is none or the body is chunked, 0 for a status without a body.
    /// </summary>
    internal static long ReportedLength(int status, bool chunked, long? contentLength) =>
        status is 204 or 304 ? 0 : chunked ? -1 : contentLength ?? -1;

    internal static byte[] BuildRequest(string method, Uri url, IReadOnlyDictionary<string, string> headers, string? body, bool keepAlive = false)
    {
        string? host = null;
        string? contentType = null;
        var text = new StringBuilder(256);
        text.Append(method).Append(' ').Append(url.PathAndQuery).Append(" HTTP/1.1\r\n");
        var extra = new StringBuilder();
        foreach (var (name, value) in headers)
        {
            if (name.AsSpan().IndexOfAny("\r\n:") >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new ProbeException(FailureReasons.Protocol, $"header {name.ReplaceLineEndings(" ")}: a name or value with a line break (or a colon in the name) cannot be sent");
            }

            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                host = value;
            }
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (!name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                extra.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        text.Append("Host: ").Append(host ?? (url.IsDefaultPort ? url.IdnHost : url.IdnHost + ":" + url.Port.ToString(CultureInfo.InvariantCulture))).Append("\r\n");
        text.Append(extra);
        if (!keepAlive)
        {
            text.Append("Connection: close\r\n");
        }

        byte[]? content = body is null ? null : Encoding.UTF8.GetBytes(body);
        if (content is not null)
        {
            text.Append("Content-Type: ").Append(contentType ?? "text/plain; charset=utf-8").Append("\r\n");
            text.Append("Content-Length: ").Append(content.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }
        else if (method is "POST" or "PUT" or "PATCH")
        {
            text.Append("Content-Length: 0\r\n");
        }

        text.Append("\r\n");
        int headLength = Encoding.UTF8.GetByteCount(text.ToString());
        byte[] request = new byte[headLength + (content?.Length ?? 0)];
        Encoding.UTF8.GetBytes(text.ToString(), request);
        content?.CopyTo(request, headLength);
        return request;
    }

    /// <summary>A response head; <see cref="Persistent"/>: HTTP/1.1 without <c>Connection: close</c>, so the connection may carry another request.</summary>
    internal readonly record struct Head(int Status, Version Version, long ContentLength, bool Chunked, string? Encoding, string? Location, bool Persistent = false);

    /// <summary>Parses a response head (status line and headers, ending with the empty line).</summary>
    internal static Head ParseHead(ReadOnlySpan<byte> head)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = head[..lineEnd];
        // HTTP/1.1 200 OK — the reason phrase may be empty or missing.
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || statusLine[7] is < (byte)'0' or > (byte)'9' || (statusLine.Length > 12 && statusLine[12] != (byte)' ')
            || !int.TryParse(statusLine.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int status) || status < 100)
        {
            throw new ProbeException(FailureReasons.Protocol, $"the response does not start with an HTTP/1.x status line: \"{Printable(statusLine)}\"");
        }

        var version = statusLine[7] == (byte)'0' ? HttpVersion.Version10 : HttpVersion.Version11;
        long contentLength = -1;
        bool chunked = false;
        string? encoding = null;
        string? location = null;
        bool close = false;
        var rest = head[(lineEnd + 2)..];
        while (true)
        {
            int end = rest.IndexOf("\r\n"u8);
            if (end <= 0)
            {
                break;
            }

            var line = rest[..end];
            rest = rest[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new ProbeException(FailureReasons.Protocol, $"a response header line without a name: \"{Printable(line)}\"");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long length) || (contentLength >= 0 && contentLength != length))
                {
                    throw new ProbeException(FailureReasons.Protocol, $"invalid Content-Length \"{Printable(value)}\"");
                }

                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked |= Encoding.ASCII.GetString(value).Split(',').Any(c => c.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase));
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Encoding"u8))
            {
                encoding = Encoding.ASCII.GetString(value).Trim().ToLowerInvariant();
            }
            else if (Ascii.EqualsIgnoreCase(name, "Location"u8))
            {
                location = Encoding.UTF8.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close |= Encoding.ASCII.GetString(value).Split(',').Any(c => c.Trim().Equals("close", StringComparison.OrdinalIgnoreCase));
            }
        }

        // With both, Transfer-Encoding frames the body (RFC 9112 §6.3); the length is still reported, as the handler does.
        return new Head(status, version, contentLength, chunked, encoding, location, version == HttpVersion.Version11 && !close);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, 80)]);
        return string.Concat(text.Select(c => c is >= ' ' and < (char)127 ? c : '?'));
    }

    /// <summary>Buffered reads from the socket: the head, then the body through its framing.</summary>
    internal sealed class Reader(Socket socket)
    {
        private const int BufferSize = 4096;

        // Rented while a response is read and returned with Release: 10,000 kept connections would otherwise
        // hold 40 MB of idle buffers, and a fresh connection per probe would allocate one each time.
        private byte[]? _buffer;
        private bool _pooled;
        private int _start;
        private int _end;

        public ReadOnlySpan<byte> Buffered => _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);

        /// <summary>Gives the buffer back (what it held is dropped); the next read rents one again.</summary>
        public void Release()
        {
            if (_buffer is not null && _pooled)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = null;
            _pooled = false;
            _start = _end = 0;
        }

        private byte[] Buffer()
        {
            if (_buffer is null)
            {
                _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                _pooled = true;
            }

            return _buffer;
        }

        /// <summary>Bytes received from the socket so far.</summary>
        public long Received { get; private set; }

        public void Consume(int count) => _start += count;

        /// <summary>Reads until the buffer holds a whole head; returns its length, the empty line included.</summary>
        public async ValueTask<int> ReadHeadAsync(CancellationToken cancellationToken)
        {
            int searched = 0;
            while (true)
            {
                int at = Buffered[searched..].IndexOf(HeadEnd);
                if (at >= 0)
                {
                    return searched + at + HeadEnd.Length;
                }

                searched = Math.Max(0, _end - _start - (HeadEnd.Length - 1));
                if (_end - _start >= MaxHeadBytes)
                {
                    throw new ProbeException(FailureReasons.Protocol, $"the response head is longer than {MaxHeadBytes / 1024 / 1024} MiB");
                }

                if (await FillAsync(cancellationToken) == 0)
                {
                    throw new ProbeException(FailureReasons.Protocol, _end == _start
                        ? "the server closed the connection without a response"
                        : "the server closed the connection in the middle of the response head");
                }
            }
        }

        /// <summary>Reads more from the socket behind what is buffered; 0 at the end of the stream.</summary>
        public async ValueTask<int> FillAsync(CancellationToken cancellationToken)
        {
            byte[] buffer = Buffer();
            if (_start > 0 && _start == _end)
            {
                _start = _end = 0;
            }

            if (_end == buffer.Length)
            {
                if (_start > 0)
                {
                    System.Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                else
                {
                    // A long head: a larger array of its own (the pooled one goes back).
                    byte[] larger = new byte[Math.Min(buffer.Length * 2, MaxHeadBytes + 4096)];
                    buffer.AsSpan(0, _end).CopyTo(larger);
                    if (_pooled)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    _buffer = buffer = larger;
                    _pooled = false;
                }
            }

            int read = await socket.ReceiveAsync(buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
            _end += read;
            Received += read;
            return read;
        }

        /// <summary>Copies buffered bytes (reading from the socket when none are) into <paramref name="destination"/>.</summary>
        public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
        {
            if (_start == _end)
            {
                if (destination.Length >= BufferSize)
                {
                    // Large reads go straight from the socket.
                    int direct = await socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken);
                    Received += direct;
                    return direct;
                }

                if (await FillAsync(cancellationToken) == 0)
                {
                    return 0;
                }
            }

            int count = Math.Min(destination.Length, _end - _start);
            _buffer!.AsSpan(_start, count).CopyTo(destination.Span);
            _start += count;
            return count;
        }

        /// <summary>Reads one CRLF-terminated line of at most 4 KiB (chunk sizes and trailers) and returns it without the CRLF.</summary>
        public async ValueTask<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                int at = Buffered.IndexOf("\r\n"u8);
                if (at >= 0)
                {
                    string line = Encoding.Latin1.GetString(Buffered[..at]);
                    _start += at + 2;
                    return line;
                }

                if (_end - _start > 4096)
                {
                    throw new ProbeException(FailureReasons.Protocol, "a chunk-size or trailer line longer than 4 KiB");
                }

                if (await FillAsync(cancellationToken) == 0)
                {
                    throw new ProbeException(FailureReasons.Protocol, "the server closed the connection in the middle of a chunked body");
                }
            }
        }
    }

    /// <summary>The body through its framing; reads only, and only forwards.</summary>
    internal sealed class BodyStream(Reader reader, BodyStream.Framing framing, long length) : Stream
    {
        internal enum Framing
        {
            Length,
            Chunked,
            Close,
        }

        private long _left = length;
        private bool _done = framing == Framing.Length && length == 0;

        /// <summary>Whether the body was read to its end by its length or its last chunk (never for a body framed by the close).</summary>
        public bool Done => _done && framing != Framing.Close;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_done || buffer.Length == 0)
            {
                return 0;
            }

            switch (framing)
            {
                case Framing.Close:
                {
                    int read = await reader.ReadAsync(buffer, cancellationToken);
                    _done = read == 0;
                    return read;
                }

                case Framing.Length:
                {
                    int read = await reader.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken);
                    if (read == 0)
                    {
                        throw new ProbeException(FailureReasons.Protocol, $"the server closed the connection {_left} bytes before the end of the body");
                    }

                    _left -= read;
                    _done = _left == 0;
                    return read;
                }

                default:
                    return await ReadChunkedAsync(buffer, cancellationToken);
            }
        }

        private async ValueTask<int> ReadChunkedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (_left == 0)
            {
                string line = await reader.ReadLineAsync(cancellationToken);
                int semicolon = line.IndexOf(';', StringComparison.Ordinal);
                var size = (semicolon >= 0 ? line.AsSpan(0, semicolon) : line.AsSpan()).Trim(" \t");
                if (!long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _left) || _left < 0)
                {
                    throw new ProbeException(FailureReasons.Protocol, $"invalid chunk size \"{line}\"");
                }

                if (_left == 0)
                {
                    // The last chunk: trailers up to the empty line.
                    while ((await reader.ReadLineAsync(cancellationToken)).Length > 0)
                    {
                    }

                    _done = true;
                    return 0;
                }
            }

            int read = await reader.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken);
            if (read == 0)
            {
                throw new ProbeException(FailureReasons.Protocol, "the server closed the connection in the middle of a chunked body");
            }

            _left -= read;
            if (_left == 0 && (await reader.ReadLineAsync(cancellationToken)).Length > 0)
            {
                throw new ProbeException(FailureReasons.Protocol, "a chunk not followed by its CRLF");
            }

            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
