using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Monitor.Checks;

/// <summary>Name resolution, connection and failure classification shared by the HTTP and TCP probes.</summary>
internal static class ProbeNetwork
{
    /// <summary><c>host:port</c> (<c>[v6]:port</c>), as the checks that dial a TCP address take it.</summary>
    public static bool TryParseHostPort(string address, out string host, out int port)
    {
        int colon = address.LastIndexOf(':');
        host = colon > 0 ? address[..colon].Trim('[', ']') : string.Empty;
        port = 0;
        return colon > 0
            && int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535
            && Uri.CheckHostName(host) != UriHostNameType.Unknown;
    }

    /// <summary>
    /// A server certificate check with an optional CA of the check's own: skip-verify accepts anything; without
    /// a CA the system's trust decides; with one, exactly that CA is trusted and the host name must still match.
    /// </summary>
    public static bool ValidateServerCertificate(bool insecureSkipVerify, X509Certificate2Collection? authority, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (insecureSkipVerify)
        {
            return true;
        }

        if (authority is not { Count: > 0 } || certificate is null)
        {
            return errors == SslPolicyErrors.None;
        }

        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(authority);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(new X509Certificate2(certificate));
    }

    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            return addresses.Length > 0 ? addresses : throw new ProbeException(FailureReasons.Dns, $"no addresses for {host}");
        }
        catch (SocketException e)
        {
            throw new ProbeException(FailureReasons.Dns, $"resolving {host}: {e.Message}", e);
        }
    }

    public static async Task<Socket> ConnectAsync(IPAddress[] addresses, int port, CancellationToken cancellationToken)
    {
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last is { SocketErrorCode: SocketError.ConnectionRefused }
            ? new ProbeException(FailureReasons.ConnectionRefused, $"connection refused by {string.Join(", ", addresses.Select(a => a.ToString()))} port {port}", last)
            : new ProbeException(FailureReasons.Connect, $"connecting to port {port}: {last?.Message}", last);
    }

    public static DateTimeOffset? EarliestExpiry(X509Certificate? certificate, X509Chain? chain)
    {
        DateTimeOffset? earliest = null;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                var notAfter = new DateTimeOffset(element.Certificate.NotAfter.ToUniversalTime());
                earliest = earliest is null || notAfter < earliest ? notAfter : earliest;
            }
        }

        if (certificate is X509Certificate2 leaf)
        {
            var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
            earliest = earliest is null || notAfter < earliest ? notAfter : earliest;
        }

        return earliest;
    }

    /// <summary>Maps what a probe threw to a failure reason and a message; never throws.</summary>
    public static CheckResult Classify(Exception e, bool timedOut)
    {
        if (timedOut)
        {
            return CheckResult.Fail(FailureReasons.Timeout, "timed out");
        }

        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case ProbeException probe:
                    return CheckResult.Fail(probe.Reason, probe.Message);
                case System.Security.Authentication.AuthenticationException auth:
                    return CheckResult.Fail(FailureReasons.Tls, $"TLS handshake failed: {auth.Message}");
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused } refused:
                    return CheckResult.Fail(FailureReasons.ConnectionRefused, refused.Message);
                case SocketException { SocketErrorCode: SocketError.TimedOut } socketTimeout:
                    return CheckResult.Fail(FailureReasons.Timeout, socketTimeout.Message);
            }
        }

        return e switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => CheckResult.Fail(FailureReasons.Dns, e.Message),
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => CheckResult.Fail(FailureReasons.Tls, e.Message),
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => CheckResult.Fail(FailureReasons.Connect, e.Message),
            HttpRequestException or IOException => CheckResult.Fail(FailureReasons.Protocol, e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message),
            _ => CheckResult.Fail(FailureReasons.Internal, $"{e.GetType().Name}: {e.Message}"),
        };
    }
}
