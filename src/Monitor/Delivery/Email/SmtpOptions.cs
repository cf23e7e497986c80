using Monitor.Configuration;

namespace Monitor.Delivery.Email;

/// <summary>The <c>smtp</c> section of an email receiver.</summary>
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

    public static SmtpOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        string? host = map.String("host", required: true);
        bool tls = map.Bool("tls") ?? false;
        bool startTls = map.Bool("starttls") ?? !tls;
        if (tls && startTls && map.Has("starttls"))
        {
            map.Context.Error(map.Get("starttls")!.Start, $"{map.Field("starttls")}: starttls and tls (implicit TLS) exclude each other");
        }

        long port = map.Integer("port", 1, 65535) ?? (tls ? 465 : 587);
        string? username = map.String("username");
        var password = map.Secret("password");
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        if (password is not null && username is null)
        {
            map.Context.Error(map.Start, $"{map.Path}: password given without username");
        }

        map.Finish();
        return host is null ? null : new SmtpOptions
        {
            Host = host,
            Port = (int)port,
            Tls = tls,
            StartTls = startTls && !tls,
            Username = username,
            Password = password,
            InsecureSkipVerify = insecure,
        };
    }
}
