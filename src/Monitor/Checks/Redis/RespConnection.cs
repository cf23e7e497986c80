using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Monitor.Checks.Redis;

/// <summary>
/// The narrow RESP2 client the check needs: one TCP (optionally TLS) connection, <c>AUTH</c>, and commands
/// whose replies are simple strings, errors, integers, bulk strings or arrays of those. Connect failures
/// keep their cause (DNS, refused, TLS) as <see cref="ProbeException"/>s; a server error reply is a
/// <see cref="RespErrorException"/>.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    /// <summary>Longest reply accepted (INFO ALL of a busy server is tens of KiB).</summary>
    public const int MaxReplyBytes = 64 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RespConnection(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
    }

    public static async Task<RespConnection> OpenAsync(RedisCheckOptions options, RemoteCertificateValidationCallback validate, CancellationToken cancellationToken)
    {
        var addresses = await ProbeNetwork.ResolveAsync(options.Host, cancellationToken);
        var socket = await ProbeNetwork.ConnectAsync(addresses, options.Port, cancellationToken);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            if (options.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = options.Host, RemoteCertificateValidationCallback = validate }, cancellationToken);
            }
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            await stream.DisposeAsync();
            socket.Dispose();
            throw new ProbeException(FailureReasons.Tls, $"TLS handshake with {options.Address} failed: {e.Message}", e);
        }
        catch
        {
            await stream.DisposeAsync();
            socket.Dispose();
            throw;
        }

        return new RespConnection(socket, stream);
    }

    /// <summary>Sends one command and reads its reply: a string, a long, null (nil) or an object?[] of those.</summary>
    public async Task<object?> CommandAsync(CancellationToken cancellationToken, params string[] args)
    {
        var request = new StringBuilder();
        request.Append('*').Append(args.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (string arg in args)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(arg).ToString(CultureInfo.InvariantCulture)).Append("\r\n").Append(arg).Append("\r\n");
        }

        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);
        await _stream.FlushAsync(cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    private async Task<object?> ReadReplyAsync(CancellationToken cancellationToken)
    {
        string line = await ReadLineAsync(cancellationToken);
        if (line.Length == 0)
        {
            throw Malformed("an empty reply line");
        }

        string rest = line[1..];
        switch (line[0])
        {
            case '+':
                return rest;
            case '-':
                throw new RespErrorException(rest);
            case ':':
                return long.TryParse(rest, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : throw Malformed($"integer \"{rest}\"");
            case '$':
                int length = Length(rest);
                if (length < 0)
                {
                    return null;
                }

                var bytes = await ReadExactAsync(length + 2, cancellationToken);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                int count = Length(rest);
                if (count < 0)
                {
                    return null;
                }

                var items = new object?[count];
                for (int i = 0; i < count; i++)
                {
                    items[i] = await ReadReplyAsync(cancellationToken);
                }

                return items;
            default:
                throw Malformed($"reply type '{line[0]}'");
        }
    }

    private static int Length(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && n >= -1 && n <= MaxReplyBytes ? n : throw Malformed($"length \"{text}\"");

    private static ProbeException Malformed(string what) => new(FailureReasons.Protocol, $"not a Redis reply: {what}");

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int stop = newline < 0 ? _end : newline;
            line.AddRange(_buffer.AsSpan(_start, stop - _start));
            if (line.Count > MaxReplyBytes)
            {
                throw Malformed("a line longer than 64 MiB");
            }

            if (newline >= 0)
            {
                _start = newline + 1;
                return Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
            }

            _start = _end;
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            int n = Math.Min(count - filled, _end - _start);
            Buffer.BlockCopy(_buffer, _start, result, filled, n);
            _start += n;
            filled += n;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _stream.ReadAsync(_buffer, cancellationToken);
        if (_end == 0)
        {
            throw new ProbeException(FailureReasons.Connect, "the server closed the connection");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}

/// <summary>A <c>-ERR ...</c> reply.</summary>
internal sealed class RespErrorException : Exception
{
    public RespErrorException(string message)
        : base(message)
    {
    }

    public RespErrorException()
    {
    }

    public RespErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The error's code, the first word (<c>WRONGPASS</c>, <c>NOAUTH</c>, <c>NOPERM</c>, <c>ERR</c>).</summary>
    public string Code => Message.Split(' ', 2)[0];
}
