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

    /// <summary>The EHLO name. <value>Default: this machine's fully qualified name, else its address literal.</value></summary>
    public string? Helo { get; init; }

    /// <summary>An OAuth 2 access token for XOAUTH2 (given inline, usually <c>${VAR}</c>).</summary>
    public Secret? OAuth2TokenValue { get; init; }

    /// <summary>A file holding the XOAUTH2 token, read at every connection so a refreshed token is used.</summary>
    public string? OAuth2TokenFile { get; init; }

    /// <summary>The XOAUTH2 token, or null for password authentication.</summary>
    public string? OAuth2Token() => OAuth2TokenValue?.Reveal() ?? (OAuth2TokenFile is { } file ? File.ReadAllText(file).Trim() : null);

    private static readonly Lazy<string?> Fqdn = new(() =>
    {
        try
        {
            string name = System.Net.Dns.GetHostEntry(System.Net.Dns.GetHostName()).HostName;
            return name.Contains('.', StringComparison.Ordinal) ? name.TrimEnd('.') : null;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    });

    /// <summary>This machine's fully qualified name; null (MailKit then says EHLO with the address literal) when it has none.</summary>
    public static string? MachineName() => Fqdn.Value;

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
        string? helo = map.String("helo");
        var oauthToken = map.Has("oauth2_token") ? map.Secret("oauth2_token") : null;
        string? oauthFile = map.String("oauth2_token_file") is { } f ? map.Context.ResolvePath(f) : null;
        if ((oauthToken is not null || oauthFile is not null) && password is not null)
        {
            map.Context.Error(map.Start, $"{map.Path}: give a password or an oauth2_token, not both");
        }

        if ((oauthToken is not null || oauthFile is not null) && username is null)
        {
            map.Context.Error(map.Start, $"{map.Path}: XOAUTH2 needs the username (the mailbox) the token is for");
        }
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
            Helo = helo,
            OAuth2TokenValue = oauthToken,
            OAuth2TokenFile = oauthFile,
        };
    }
}
