using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Monitor.Tests.TestSupport;

/// <summary>Answers every connection with the same bytes and closes it; keeps the request heads it read.</summary>
internal sealed class CannedHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly byte[] _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Responses as exact bytes, each with whether a probe looking for "systems ok" (none for 204) succeeds on it.</summary>
    public static IEnumerable<(string Name, byte[] Bytes, bool Succeeds)> Responses()
    {
        static byte[] Text(string s) => Encoding.ASCII.GetBytes(s);
        static byte[] Join(params byte[][] parts) => [.. parts.SelectMany(p => p)];
        var gzip = new MemoryStream();
        using (var z = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write("all systems ok"u8);
        }

        var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write("all systems ok"u8);
        }

        return new (string, byte[], bool)[]
        {
            ("gzip", Join(Text($"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {gzip.Length}\r\n\r\n"), gzip.ToArray()), true),
            ("deflate, chunked", Join(Text($"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n{zlib.Length:x}\r\n"), zlib.ToArray(), Text("\r\n0\r\n\r\n")), true),
            ("http/1.0 to the close", Text("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall systems ok"), true),
            ("100 continue first", Text("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nall systems ok"), true),
            ("chunk extensions and trailers", Text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;name=v\r\nall \r\na\r\nsystems ok\r\n0\r\nX-Trailer: 1\r\n\r\n"), true),
            ("chunked wins over Content-Length", Text("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\ne\r\nall systems ok\r\n0\r\n\r\n"), true),
            ("no reason phrase", Text("HTTP/1.1 200\r\nContent-Length: 14\r\n\r\nall systems ok"), true),
            ("204, no body", Text("HTTP/1.1 204 No Content\r\n\r\n"), true),
            ("503", Text("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 14\r\n\r\nall systems ok"), false),
            ("not http", Text("SSH-2.0-OpenSSH_9.2\r\n\r\n"), false),
            ("closed without an answer", [], false),
            ("closed in the head", Text("HTTP/1.1 200 OK\r\nContent-Len"), false),
            ("body cut short", Text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nall systems ok"), false),
            ("chunked body cut short", Text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\nall systems ok"), false),
            ("a 70 KiB head, over SocketsHttpHandler's default limit", Text("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 70 * 1024) + "\r\nContent-Length: 14\r\n\r\nall systems ok"), true),
        };
    }

    private CannedHttpServer(byte[] response)
    {
        _response = response;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public List<string> Requests { get; } = [];

    public static Task<CannedHttpServer> StartAsync(byte[] response) => Task.FromResult(new CannedHttpServer(response));

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var head = new MemoryStream();
                byte[] buffer = new byte[8192];
                int read;
                // The request head and, if it says so, its body.
                while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    head.Write(buffer, 0, read);
                    string text = Encoding.ASCII.GetString(head.ToArray());
                    int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end >= 0)
                    {
                        int length = 0;
                        foreach (string line in text[..end].Split("\r\n"))
                        {
                            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                            {
                                length = int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                            }
                        }

                        if (text.Length >= end + 4 + length)
                        {
                            break;
                        }
                    }
                }

                lock (Requests)
                {
                    Requests.Add(Encoding.ASCII.GetString(head.ToArray()));
                }

                await stream.WriteAsync(_response, _stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
        catch (InvalidOperationException) when (_stop.IsCancellationRequested)
        {
            // Disposed between two connections: the loop asked a stopped listener for the next one.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
