using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Monitor.Checks.Docker;

/// <summary>
/// The GETs of the Docker Engine API the checks make (list, inspect, one-shot stats; container logs for the logs kind), over the daemon's
/// unix socket with <see cref="SocketsHttpHandler"/>. Unversioned paths, so Docker answers at its own API version
/// and podman's compatibility service at its. Each request honours the caller's token, so a hung daemon costs
/// the check its timeout and nothing more. Failures to reach the socket are <see cref="ProbeException"/>s whose
/// reason says which (missing, permission denied with the group to join, refused).
/// </summary>
internal sealed class DockerClient : IDisposable
{
    private static readonly Uri Base = new("http://docker/");
    private readonly string _socket;
    private readonly HttpClient _http;

    public DockerClient(string socket, int maxConnections)
    {
        _socket = socket;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            UseProxy = false,
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        };
        _http = new HttpClient(handler) { BaseAddress = Base, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The JSON answer of a GET, or null for 404 (a container removed between list and inspect) and, with <paramref name="emptyIsNull"/>, for an empty body.</summary>
    public async Task<JsonDocument?> GetAsync(string pathAndQuery, CancellationToken cancellationToken, bool emptyIsNull = false)
    {
        using (var response = await SendAsync(pathAndQuery, cancellationToken))
        {
            if (response.StatusCode == HttpStatusCode.NotFound && !pathAndQuery.StartsWith("containers/json", StringComparison.Ordinal))
            {
                return null;
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                string text = await new StreamReader(body).ReadToEndAsync(cancellationToken);
                throw new ProbeException(FailureReasons.Status, $"GET /{PathOf(pathAndQuery)}: {(int)response.StatusCode} {ErrorMessage(text)}");
            }

            if (emptyIsNull)
            {
                // podman answers a container's stats with 200 and no body once it has stopped.
                var copy = new MemoryStream();
                await body.CopyToAsync(copy, cancellationToken);
                if (copy.Length == 0)
                {
                    return null;
                }

                copy.Position = 0;
                body = copy;
            }

            try
            {
                return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            }
            catch (JsonException e)
            {
                throw new ProbeException(FailureReasons.Parse, $"GET /{PathOf(pathAndQuery)}: not JSON: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// The body of a GET as a stream, read as it arrives (container logs), or null for 404. The caller disposes
    /// the response; failures to connect and non-2xx answers throw as <see cref="GetAsync"/> does.
    /// </summary>
    public async Task<HttpResponseMessage?> GetStreamAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        var response = await SendAsync(pathAndQuery, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                string text = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new ProbeException(FailureReasons.Status, $"GET /{PathOf(pathAndQuery)}: {(int)response.StatusCode} {ErrorMessage(text)}");
            }
        }

        return response;
    }

    private async Task<HttpResponseMessage> SendAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.GetAsync(pathAndQuery, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is ProbeException probe)
        {
            throw new ProbeException(probe.Reason, probe.Message, e);
        }
        catch (HttpRequestException e)
        {
            throw new ProbeException(FailureReasons.Connect, $"{_socket}: {e.Message}", e);
        }
    }

    private static string PathOf(string pathAndQuery) => pathAndQuery.Split('?')[0];

    /// <summary>The Engine API's <c>{"message": "..."}</c>, or the start of whatever else came back.</summary>
    private static string ErrorMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.GetString() is { } message)
            {
                return message;
            }
        }
        catch (JsonException)
        {
        }

        return body.Length > 200 ? body[..200] : body;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socket), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw ConnectFailure(_socket, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Why the socket could not be reached, in words that say what to do about it.</summary>
    internal static ProbeException ConnectFailure(string socket, SocketException e)
    {
        if (!Path.Exists(socket))
        {
            return new ProbeException(FailureReasons.NoSocket, $"{socket} does not exist: is the Docker daemon (or podman system service) running, and is its socket mounted at this path?", e);
        }

        return e.SocketErrorCode switch
        {
            SocketError.AccessDenied => new ProbeException(FailureReasons.PermissionDenied, PermissionMessage(socket, SocketOwner.GroupOf(socket)), e),
            SocketError.ConnectionRefused => new ProbeException(FailureReasons.ConnectionRefused, $"{socket}: connection refused (the socket file is there, but no daemon listens on it)", e),
            _ => new ProbeException(FailureReasons.Connect, $"{socket}: {e.Message}", e),
        };
    }

    internal static string PermissionMessage(string socket, (long Gid, string? Name)? group)
    {
        string user = Environment.UserName;
        return group switch
        {
            { Name: { } name } g => $"permission denied on {socket}: it belongs to group {name} (gid {g.Gid}); add the user Monitor runs as ({user}) to that group, e.g. `usermod -aG {name} {user}` or compose's group_add: [\"{g.Gid}\"]",
            { } g => $"permission denied on {socket}: it belongs to gid {g.Gid}, which has no name here (the host's docker group, seen from a container); add the user Monitor runs as ({user}) to it, e.g. compose's group_add: [\"{g.Gid}\"]",
            null => $"permission denied on {socket}: Monitor's user ({user}) may not open it; join the socket's group (usually docker)",
        };
    }

    public void Dispose() => _http.Dispose();
}
