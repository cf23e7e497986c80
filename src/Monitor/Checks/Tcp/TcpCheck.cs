using System.Net.Security;
using System.Net.Sockets;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Tcp;

/// <summary>blackbox_exporter's TCP prober: resolve, connect, and optionally a TLS handshake.</summary>
internal sealed class TcpCheck : ICheck
{
    /// <summary>The <c>tcp</c> kind: a connect (and optional TLS handshake) probe with blackbox_exporter's series.</summary>
    /// <summary>The metric families a tcp check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new(["probe_success", "probe_duration_seconds", "probe_dns_lookup_time_seconds", "probe_ssl_earliest_cert_expiry"]);

    public static readonly CheckKind Kind = new("tcp", TcpCheckOptions.Read, (options, context) => new TcpCheck(options, context.Scope, context.Time), Families);

    private readonly TcpCheckOptions _tcp;
    private readonly TimeProvider _time;
    private readonly SeriesScope _scope;
    private readonly Sample _success;
    private readonly Sample _duration;
    private readonly Sample _dnsLookup;
    private Sample? _certExpiry;

    public TcpCheck(CheckOptions options, SeriesScope scope, TimeProvider timeProvider)
    {
        Options = options;
        _tcp = options.SettingsOf<TcpCheckOptions>();
        _time = timeProvider;
        _scope = scope;
        _success = scope.Gauge("probe_success", "Displays whether or not the probe was a success");
        _duration = scope.Gauge("probe_duration_seconds", "Returns how long the probe took to complete in seconds");
        _dnsLookup = scope.Gauge("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds");
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        TimeSpan resolve = TimeSpan.Zero;
        CheckResult result;
        try
        {
            var addresses = await ProbeNetwork.ResolveAsync(_tcp.Host, cancellationToken);
            resolve = _time.GetElapsedTime(start);
            using var socket = await ProbeNetwork.ConnectAsync(addresses, _tcp.Port, cancellationToken);
            if (_tcp.Tls)
            {
                DateTimeOffset? expiry = null;
                await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = _tcp.Host,
                        RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
                        {
                            expiry = ProbeNetwork.EarliestExpiry(cert, chain);
                            return _tcp.InsecureSkipVerify || errors == SslPolicyErrors.None;
                        },
                    },
                    cancellationToken);
                if (expiry is { } e)
                {
                    _certExpiry ??= _scope.Gauge("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime");
                    _certExpiry.Set(e.ToUnixTimeSeconds());
                }
            }

            socket.Shutdown(SocketShutdown.Both);
            result = CheckResult.Ok;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            result = ProbeNetwork.Classify(e, cancellationToken.IsCancellationRequested);
        }

        _dnsLookup.Set(resolve.TotalSeconds);
        _duration.Set(_time.GetElapsedTime(start).TotalSeconds);
        _success.Set(result.Success ? 1 : 0);
        return result;
    }

    public void Dispose()
    {
    }
}
