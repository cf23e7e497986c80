using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Monitor.Configuration;

namespace Monitor.Checks.Redis;

/// <summary>The <c>redis</c> section of a check.</summary>
internal sealed record RedisCheckOptions : ICheckSettings
{
    /// <summary><c>host:port</c>.</summary>
    public required string Address { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>ACL user (Redis 6+). <value>Default none: <c>AUTH password</c> as the default user.</value></summary>
    public string? Username { get; init; }

    /// <summary><c>${VAR}</c> or <c>password_file</c>. <value>Default none.</value></summary>
    public Secret? Password { get; init; }

    /// <summary>Connect with TLS. <value>Default false.</value></summary>
    public bool Tls { get; init; }

    /// <summary>With <c>tls</c>, the only CA trusted for the server's certificate (<c>ca_file</c>). <value>Default: the system's.</value></summary>
    public X509Certificate2Collection? CertificateAuthority { get; init; }

    /// <summary>With <c>tls</c>, accept any certificate. <value>Default false.</value></summary>
    public bool InsecureSkipVerify { get; init; }

    public string Target => Address;

    public static RedisCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var ctx = map.Context;
        string? address = map.String("address", required: true);
        string? username = map.String("username");
        var password = map.Secret("password");
        bool tls = map.Bool("tls") ?? false;
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        string? caFile = map.String("ca_file");
        X509Certificate2Collection? ca = null;
        if (caFile is not null)
        {
            if (!tls)
            {
                ctx.Error(map.KeyMark("ca_file"), $"{map.Field("ca_file")}: needs tls: true");
            }
            else if (insecure)
            {
                ctx.Error(map.KeyMark("ca_file"), $"{map.Field("ca_file")}: give either ca_file or insecure_skip_verify, not both");
            }

            ca = ReadAuthority(map, caFile);
        }

        if (insecure && !tls)
        {
            ctx.Error(map.KeyMark("insecure_skip_verify"), $"{map.Field("insecure_skip_verify")}: needs tls: true");
        }

        if (username is { Length: 0 })
        {
            ctx.Error(map.Get("username")!.Start, $"{map.Field("username")}: must not be empty (leave it out for the default user)");
        }
        else if (username is not null && password is null)
        {
            ctx.Error(map.KeyMark("username"), $"{map.Field("username")}: an ACL user needs password or password_file");
        }

        map.Finish();
        if (address is null)
        {
            return null;
        }

        if (!ProbeNetwork.TryParseHostPort(address, out string host, out int port))
        {
            ctx.Error(map.Get("address")!.Start, $"{map.Field("address")}: invalid address \"{address}\" (expected host:port, e.g. redis:6379)");
            return null;
        }

        return new RedisCheckOptions
        {
            Address = address,
            Host = host,
            Port = port,
            Username = username is { Length: > 0 } ? username : null,
            Password = password,
            Tls = tls,
            CertificateAuthority = ca,
            InsecureSkipVerify = insecure,
        };
    }

    private static X509Certificate2Collection? ReadAuthority(YamlMap map, string caFile)
    {
        string full = map.Context.ResolvePath(caFile);
        try
        {
            var ca = new X509Certificate2Collection();
            ca.ImportFromPem(map.Context.ReadFile(full));
            if (ca.Count == 0)
            {
                map.Context.Error(map.Get("ca_file")!.Start, $"{map.Field("ca_file")}: no PEM certificate in \"{caFile}\"");
                return null;
            }

            return ca;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            map.Context.Error(map.Get("ca_file")!.Start, $"{map.Field("ca_file")}: cannot read CA file \"{caFile}\": {e.Message}");
            return null;
        }
    }
}
