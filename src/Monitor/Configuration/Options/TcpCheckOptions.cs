namespace Monitor.Configuration;

internal sealed record TcpCheckOptions
{
    /// <summary><c>host:port</c>.</summary>
    public required string Address { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>Perform a TLS handshake after connecting. <value>Default false.</value></summary>
    public bool Tls { get; init; }

    /// <summary>With <c>tls</c>, accept any certificate. <value>Default false.</value></summary>
    public bool InsecureSkipVerify { get; init; }
}
