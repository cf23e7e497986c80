using System.Globalization;
using Monitor.Configuration;

namespace Monitor.Checks.Tcp;

/// <summary>The <c>tcp</c> section of a check.</summary>
internal sealed record TcpCheckOptions : ICheckSettings
{
    /// <summary><c>host:port</c>.</summary>
    public required string Address { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>Perform a TLS handshake after connecting. <value>Default false.</value></summary>
    public bool Tls { get; init; }

    /// <summary>With <c>tls</c>, accept any certificate. <value>Default false.</value></summary>
    public bool InsecureSkipVerify { get; init; }

    public string Target => Address;

    public static TcpCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        string? address = map.String("address", required: true);
        bool tls = map.Bool("tls") ?? false;
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        map.Finish();
        if (address is null)
        {
            return null;
        }

        if (!ProbeNetwork.TryParseHostPort(address, out string host, out int port))
        {
            map.Context.Error(map.Get("address")!.Start, $"{map.Field("address")}: invalid address \"{address}\" (expected host:port, e.g. postgres:5432)");
            return null;
        }

        return new TcpCheckOptions { Address = address, Host = host, Port = port, Tls = tls, InsecureSkipVerify = insecure };
    }
}
