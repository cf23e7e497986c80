using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Monitor.Checks.Kubernetes;

/// <summary>
/// The narrow part of the Kubernetes REST API the check needs: paged LIST (<c>limit</c>/<c>continue</c>,
/// restarted on 410 Gone), a bearer token re-read from its file at least every minute, the cluster CA or
/// insecure-skip-tls-verify, a client certificate; 401/403 reported with the verb and resource.
/// </summary>
internal sealed class KubeClient : IDisposable
{
    private const int PageSize = 500;
    private static readonly TimeSpan TokenRefresh = TimeSpan.FromMinutes(1);

    private readonly KubeConnection _connection;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly ExecCredentialSource? _exec;
    private string? _token;
    private long _tokenReadAt = long.MinValue;
    private readonly Lock _tokenLock = new();
    private X509Certificate2? _execCertificate;

    public KubeClient(KubeConnection connection, TimeProvider timeProvider)
    {
        _connection = connection;
        _time = timeProvider;
        _exec = connection.Exec is { } exec ? new ExecCredentialSource(exec, connection.ExecDirectory, timeProvider) : null;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = ValidateServer,
                // A plugin may hand out a client certificate; it is known before the first request's handshake.
                LocalCertificateSelectionCallback = (_, _, _, _, _) => (_execCertificate ?? connection.ClientCertificate)!,
            },
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.GZip,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The kubeconfig context's namespace, if it names one.</summary>
    public string? Namespace => _connection.Namespace;

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // tls-server-name: the certificate must name that host instead of the server URL's.
        if (_connection.TlsServerName is { } name && certificate is not null && !_connection.InsecureSkipTlsVerify)
        {
            using var presented = new X509Certificate2(certificate);
            if (!presented.MatchesHostname(name))
            {
                return false;
            }

            errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        }

        return ProbeNetwork.ValidateServerCertificate(_connection.InsecureSkipTlsVerify, _connection.CertificateAuthority, certificate, errors);
    }

    private async Task<string?> TokenAsync(bool refresh, CancellationToken cancellationToken)
    {
        if (_exec is not null)
        {
            var status = await _exec.GetAsync(refresh, cancellationToken);
            if (status.ClientCertificateData is { Length: > 0 } cert && status.ClientKeyData is { Length: > 0 } key && Volatile.Read(ref _execCertificate) is null)
            {
                // Node proxy requests run in parallel: the first certificate made wins, the others are dropped.
                var made = X509Certificate2.CreateFromPem(cert, key);
                if (Interlocked.CompareExchange(ref _execCertificate, made, null) is not null)
                {
                    made.Dispose();
                }
            }

            return status.Token;
        }

        if (refresh)
        {
            lock (_tokenLock)
            {
                _token = null;
            }
        }

        return Token();
    }

    private string? Token()
    {
        if (_connection.TokenFile is not { } file)
        {
            return _connection.Token;
        }

        lock (_tokenLock)
        {
            long now = _time.GetTimestamp();
            if (_token is null || _time.GetElapsedTime(_tokenReadAt, now) >= TokenRefresh)
            {
                _token = File.ReadAllText(file).Trim();
                _tokenReadAt = now;
            }

            return _token;
        }
    }

    /// <summary>All items of a LIST, page by page; a 410 (the continue token expired) restarts the list once.</summary>
    public async Task<List<JsonElement>> ListAsync(string path, string resource, CancellationToken cancellationToken) =>
        (await ListVersionedAsync(path, resource, null, cancellationToken)).Items;

    /// <summary>
    /// A LIST with extra parameters on its first page (a <c>fieldSelector</c>, a <c>resourceVersion</c>: the API
    /// server refuses a resource version beside a continue token), and the list's own resourceVersion. After a 410
    /// (an expired continue token, or a resource version the server no longer has) the list restarts once with
    /// <paramref name="restartQuery"/> (default: the first page's parameters again). <paramref name="everyPageQuery"/>
    /// goes on every page: a <c>labelSelector</c> must be sent again beside the continue token.
    /// </summary>
    public async Task<(List<JsonElement> Items, string? ResourceVersion)> ListVersionedAsync(string path, string resource, string? firstPageQuery, CancellationToken cancellationToken, string? restartQuery = null, string? everyPageQuery = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            if (attempt > 0 && restartQuery is not null)
            {
                firstPageQuery = restartQuery;
            }

            var items = new List<JsonElement>();
            string? next = null;
            string? version = null;
            bool gone = false;
            do
            {
                string query = $"?limit={PageSize}" + (everyPageQuery is null ? string.Empty : "&" + everyPageQuery) + (next is null ? (firstPageQuery is null ? string.Empty : "&" + firstPageQuery) : "&continue=" + Uri.EscapeDataString(next));
                using var response = await SendAsync(new Uri(_connection.Server, path + query), cancellationToken);
                if (response.StatusCode == HttpStatusCode.Gone && attempt == 0)
                {
                    gone = true;
                    break;
                }

                await EnsureSuccessAsync(response, resource, cancellationToken);
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
                foreach (var item in document.RootElement.GetProperty("items").EnumerateArray())
                {
                    items.Add(item.Clone());
                }

                bool hasMeta = document.RootElement.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object;
                next = hasMeta && meta.TryGetProperty("continue", out var c) && c.GetString() is { Length: > 0 } token ? token : null;
                version ??= hasMeta && meta.TryGetProperty("resourceVersion", out var rv) && rv.GetString() is { Length: > 0 } v ? v : null;
            }
            while (next is not null);

            if (!gone)
            {
                return (items, version);
            }
        }
    }

    /// <summary>A GET answered with text, such as a node's kubelet metrics through the API server's proxy.</summary>
    public async Task<string> GetTextAsync(string path, string resource, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new Uri(_connection.Server, path), cancellationToken);
        await EnsureSuccessAsync(response, resource, cancellationToken, verb: "get");
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>
    /// A GET whose body is handed on piece by piece through <paramref name="buffer"/> (a pod's log), at most
    /// <paramref name="maxBytes"/> of it should a server ignore <c>limitBytes</c>; returns the bytes read.
    /// </summary>
    public async Task<long> GetChunksAsync(string path, string resource, byte[] buffer, long maxBytes, Action<int> chunk, CancellationToken cancellationToken)
    {
        using var response = await _http.SendAsync(await RequestAsync(new Uri(_connection.Server, path), refresh: false, cancellationToken), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, resource, cancellationToken, verb: "get");
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        long total = 0;
        int n;
        while (total < maxBytes && (n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, maxBytes - total)), cancellationToken)) > 0)
        {
            total += n;
            chunk(n);
        }

        return total;
    }

    private async Task<HttpResponseMessage> SendAsync(Uri uri, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(await RequestAsync(uri, refresh: false, cancellationToken), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && (_connection.TokenFile is not null || _exec is not null))
        {
            // The token may have just rotated or expired: read it (or run the plugin) again now.
            response.Dispose();
            response = await _http.SendAsync(await RequestAsync(uri, refresh: true, cancellationToken), cancellationToken);
        }

        return response;
    }

    private async Task<HttpRequestMessage> RequestAsync(Uri uri, bool refresh, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (await TokenAsync(refresh, cancellationToken) is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (_connection.Basic is var (user, password))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        }

        return request;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string resource, CancellationToken cancellationToken, string verb = "list")
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        string message = body;
        try
        {
            using var status = JsonDocument.Parse(body);
            message = status.RootElement.TryGetProperty("message", out var m) ? m.GetString() ?? body : body;
        }
        catch (JsonException)
        {
        }

        throw response.StatusCode switch
        {
            HttpStatusCode.Forbidden => new ProbeException(FailureReasons.Auth, $"RBAC: the service account may not \"{verb}\" {resource}; grant {(verb == "list" ? "get/list/watch" : verb)} on {resource} ({message})"),
            HttpStatusCode.Unauthorized => new ProbeException(FailureReasons.Auth, $"unauthorized listing {resource}: {message}"),
            _ => new ProbeException(FailureReasons.Status, $"listing {resource}: {(int)response.StatusCode} {message}"),
        };
    }

    public void Dispose()
    {
        _http.Dispose();
        _exec?.Dispose();
        _execCertificate?.Dispose();
    }
}
