using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Monitor.Checks.Docker;

namespace Monitor.Checks.Logs;

/// <summary>
/// The container half of the <c>logs</c> kind: each run inspects the container by name (its id, and whether it
/// has a TTY, which decides the body's format), then reads <c>GET /containers/{id}/logs</c> with stdout, stderr
/// and timestamps since the second of the last line counted, and counts the lines after it. The API's
/// <c>since</c> has second resolution, so the lines of that second come again: those up to the last counted (by
/// their nanosecond timestamps, and how many carried exactly the last one) are skipped. The first run starts at
/// now; the cursor is kept in the state file, so a restart neither counts twice nor skips. A container recreated
/// under the same name (a new id) is followed by its name, from the same cursor.
/// </summary>
internal sealed partial class LogsCheck
{
    private readonly DockerClient? _client;
    private readonly TailedFile? _container;
    private bool _cursorLoaded;
    private string _id = string.Empty;
    private long _lastNanos = -1;
    private int _atLast;
    private int _seenAtLast;

    /// <summary>The cursor as it would be saved now (for tests).</summary>
    internal LogCursor Cursor => new(_logs.Docker!.Container, _id, _lastNanos, _atLast);

    private async Task<CheckResult> RunDockerAsync(CancellationToken cancellationToken)
    {
        var docker = _logs.Docker!;
        string? stateError = null;
        if (!_cursorLoaded)
        {
            try
            {
                if (OffsetState.LoadCursor(_stateFile, docker.Container) is { } saved)
                {
                    (_id, _lastNanos, _atLast) = (saved.Id, saved.LastNanos, saved.AtLast);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stateError = $"reading state file {_stateFile}: {e.Message}";
            }

            _cursorLoaded = true;
        }

        CheckResult result;
        try
        {
            result = await ReadContainerAsync(docker, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            result = CheckResult.Fail(FailureReasons.Parse, $"logs of container {docker.Container}: {e.Message}");
        }
        catch (Exception e) when (e is ProbeException or OperationCanceledException or TimeoutException or HttpRequestException or IOException or SocketException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            result = DockerCheck.Classify(e, cancellationToken.IsCancellationRequested);
        }

        if (_lastNanos >= 0)
        {
            try
            {
                OffsetState.SaveCursor(_stateFile, Cursor);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CheckResult.Fail(FailureReasons.Internal, $"writing state file {_stateFile}: {e.Message}");
            }
        }

        return stateError is not null && result.Success ? CheckResult.Fail(FailureReasons.Unreadable, stateError) : result;
    }

    private async Task<CheckResult> ReadContainerAsync(DockerLogsSource docker, CancellationToken cancellationToken)
    {
        string id;
        bool tty;
        using (var inspect = await _client!.GetAsync($"containers/{Uri.EscapeDataString(docker.Container)}/json", cancellationToken))
        {
            if (inspect is null)
            {
                return CheckResult.Fail(FailureReasons.NoMatch, $"no container named {docker.Container} on {docker.Socket}");
            }

            var root = inspect.RootElement;
            id = root.GetProperty("Id").GetString()!;
            tty = root.TryGetProperty("Config", out var config) && config.ValueKind == JsonValueKind.Object
                && config.TryGetProperty("Tty", out var t) && t.ValueKind == JsonValueKind.True;
        }

        if (_lastNanos < 0)
        {
            // First run ever: the container's history is not counted, only what it logs from now on.
            _lastNanos = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
            _atLast = 0;
        }

        // A new id under the same name is the container recreated: its lines after the cursor are new.
        _id = id;
        _seenAtLast = 0;
        long since = _lastNanos / 1_000_000_000;
        using var response = await _client.GetStreamAsync(string.Create(CultureInfo.InvariantCulture, $"containers/{id}/logs?stdout=1&stderr=1&timestamps=1&since={since}"), cancellationToken);
        if (response is null)
        {
            return CheckResult.Fail(FailureReasons.NoMatch, $"container {docker.Container} ({id[..Math.Min(12, id.Length)]}) was removed while its logs were read");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var decoder = new DockerLogDecoder(tty, _logs.MaxLineBytes + TimestampRoom);
        long budget = _logs.MaxBytesPerRun;
        while (budget > 0)
        {
            int n = await body.ReadAsync(_buffer.AsMemory(0, (int)Math.Min(_buffer.Length, budget)), cancellationToken);
            if (n == 0)
            {
                decoder.Finish(ContainerLine);
                return CheckResult.Ok;
            }

            budget -= n;
            decoder.Feed(_buffer.AsSpan(0, n), ContainerLine);
        }

        // The per-run cap: what is left (a line cut by it too) is read again by the next run, from the cursor.
        return CheckResult.Ok;
    }

    /// <summary>Room for the timestamp before each line, so the cut applies to the message.</summary>
    private const int TimestampRoom = 40;

    /// <summary>One line of the container's log: counted unless it is at or before the cursor.</summary>
    private void ContainerLine(int stream, ReadOnlySpan<byte> raw)
    {
        var message = raw;
        if (DockerLogDecoder.TryParseTimestamp(raw, out long nanos, out int start))
        {
            message = raw[start..];
            if (nanos < _lastNanos)
            {
                return;
            }

            if (nanos == _lastNanos)
            {
                if (++_seenAtLast <= _atLast)
                {
                    return;
                }

                _atLast = _seenAtLast;
            }
            else
            {
                (_lastNanos, _atLast, _seenAtLast) = (nanos, 1, 1);
            }
        }

        if (message.Length > _logs.MaxLineBytes)
        {
            message = message[.._logs.MaxLineBytes];
        }

        _container!.Bytes.Add(message.Length + 1);
        Line(_container, message);
    }
}
