namespace Monitor.Configuration;

internal sealed record SmtpOptions
{
    public required string Host { get; init; }

    /// <summary>Port. <value>Default 587, or 465 with <c>tls: true</c>.</value></summary>
    public int Port { get; init; } = 587;

    /// <summary>Upgrade with STARTTLS (required when true). <value>Default true unless <c>tls</c>.</value></summary>
    public bool StartTls { get; init; } = true;

    /// <summary>Implicit TLS from the first byte (port 465). <value>Default false.</value></summary>
    public bool Tls { get; init; }

    public string? Username { get; init; }

    public Secret? Password { get; init; }

    public bool InsecureSkipVerify { get; init; }
}
