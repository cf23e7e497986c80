using System.Buffers.Binary;
using System.Globalization;

namespace Monitor.Checks.Logs;

/// <summary>One line of a container's log: the stream it came on (0 raw TTY, 1 stdout, 2 stderr) and its bytes, newline removed.</summary>
internal delegate void LogLineHandler(int stream, ReadOnlySpan<byte> line);

/// <summary>
/// Splits the body of the Engine API's <c>GET /containers/{id}/logs</c> into lines as it arrives, in pieces of
/// any size. Without a TTY the body is multiplexed: frames of an 8-byte header (stream type, three zero bytes,
/// the payload's length as a big-endian uint32) and the payload; a line may span frames, and stdout's and
/// stderr's frames interleave, so each stream assembles its own lines. With a TTY the body is the raw terminal
/// output, one stream. A line longer than the limit is cut to it, the rest up to its newline dropped.
/// </summary>
internal sealed class DockerLogDecoder
{
    private readonly bool _tty;
    private readonly byte[] _header = new byte[8];
    private readonly LineBuffer[] _streams;
    private int _headerFill;
    private int _stream;
    private long _payloadLeft;

    public DockerLogDecoder(bool tty, int maxLineBytes)
    {
        _tty = tty;
        _streams = [new LineBuffer(maxLineBytes), new LineBuffer(maxLineBytes), new LineBuffer(maxLineBytes)];
    }

    /// <summary>Decodes the next bytes of the body, handing each line completed by them to <paramref name="handler"/>.</summary>
    public void Feed(ReadOnlySpan<byte> data, LogLineHandler handler)
    {
        if (_tty)
        {
            _streams[0].Append(data, 0, handler);
            return;
        }

        while (data.Length > 0)
        {
            if (_payloadLeft == 0)
            {
                int take = Math.Min(_header.Length - _headerFill, data.Length);
                data[..take].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += take;
                data = data[take..];
                if (_headerFill < _header.Length)
                {
                    return;
                }

                _headerFill = 0;
                _stream = _header[0];
                if (_stream > 2 || _header[1] != 0 || _header[2] != 0 || _header[3] != 0)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"not a multiplexed log stream: frame header {Convert.ToHexString(_header)}"));
                }

                _payloadLeft = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
                continue;
            }

            int n = (int)Math.Min(_payloadLeft, data.Length);
            _streams[_stream].Append(data[..n], _stream, handler);
            _payloadLeft -= n;
            data = data[n..];
        }
    }

    /// <summary>The body ended: a last line without its newline is a line too (the engine stores whole log entries).</summary>
    public void Finish(LogLineHandler handler)
    {
        for (int i = 0; i < _streams.Length; i++)
        {
            _streams[i].Flush(i, handler);
        }
    }

    /// <summary>
    /// The timestamp the API puts before each line with <c>timestamps=1</c> (RFC 3339 with up to nine fractional
    /// digits, <c>Z</c> or an offset, then a space), as nanoseconds since the epoch, and where the message starts.
    /// False when the line does not start with one.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<byte> line, out long nanos, out int messageStart)
    {
        nanos = 0;
        messageStart = 0;
        int space = line.IndexOf((byte)' ');
        var text = space < 0 ? line : line[..space];
        if (text.Length < 20 || text.Length > 40 || text[10] != (byte)'T')
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            chars[i] = (char)text[i];
        }

        if (!DateTime.TryParseExact(chars[..19], "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }

        int at = 19;
        long fraction = 0;
        if (at < chars.Length && chars[at] == '.')
        {
            at++;
            int digits = 0;
            while (at < chars.Length && char.IsAsciiDigit(chars[at]))
            {
                if (digits < 9)
                {
                    fraction = (fraction * 10) + (chars[at] - '0');
                    digits++;
                }

                at++;
            }

            for (; digits < 9; digits++)
            {
                fraction *= 10;
            }
        }

        TimeSpan offset;
        var zone = chars[at..];
        if (zone is "Z")
        {
            offset = TimeSpan.Zero;
        }
        else if (zone.Length == 6 && zone[0] is '+' or '-' && zone[3] == ':'
            && int.TryParse(zone[1..3], NumberStyles.None, CultureInfo.InvariantCulture, out int hours)
            && int.TryParse(zone[4..6], NumberStyles.None, CultureInfo.InvariantCulture, out int minutes))
        {
            offset = new TimeSpan(hours, minutes, 0) * (zone[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        long seconds = (long)(DateTime.SpecifyKind(local, DateTimeKind.Utc) - DateTime.UnixEpoch - offset).TotalSeconds;
        nanos = (seconds * 1_000_000_000) + fraction;
        messageStart = space < 0 ? line.Length : space + 1;
        return true;
    }

    /// <summary>The line being assembled on one stream.</summary>
    private sealed class LineBuffer(int max)
    {
        private readonly byte[] _bytes = new byte[max];
        private int _fill;
        private bool _skip;

        public void Append(ReadOnlySpan<byte> data, int stream, LogLineHandler handler)
        {
            while (true)
            {
                int newline = data.IndexOf((byte)'\n');
                var part = newline < 0 ? data : data[..newline];
                if (!_skip)
                {
                    int copy = Math.Min(_bytes.Length - _fill, part.Length);
                    part[..copy].CopyTo(_bytes.AsSpan(_fill));
                    _fill += copy;
                    if (copy < part.Length)
                    {
                        // Longer than the limit: its start is the line, the rest up to the newline is dropped.
                        handler(stream, Trim(_bytes.AsSpan(0, _fill)));
                        _fill = 0;
                        _skip = true;
                    }
                }

                if (newline < 0)
                {
                    return;
                }

                if (_skip)
                {
                    _skip = false;
                }
                else
                {
                    handler(stream, Trim(_bytes.AsSpan(0, _fill)));
                }

                _fill = 0;
                data = data[(newline + 1)..];
            }
        }

        public void Flush(int stream, LogLineHandler handler)
        {
            if (_fill > 0 && !_skip)
            {
                handler(stream, Trim(_bytes.AsSpan(0, _fill)));
            }

            _fill = 0;
            _skip = false;
        }

        private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
    }

}
