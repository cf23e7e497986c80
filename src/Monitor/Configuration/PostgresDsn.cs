using System.Globalization;
using System.Text;
using Npgsql;

namespace Monitor.Configuration;

/// <summary>
/// Turns a DSN into Npgsql settings, in each of the forms PostgreSQL tools take: a URI
/// (<c>postgres://user:pw@host:5432/db?sslmode=disable</c>, also <c>postgresql://</c>), libpq's key=value
/// connection string (<c>host=db port=5432 user=x password='y z' dbname=app</c>), or Npgsql's own
/// (<c>Host=db;Port=5432;Username=x</c>). Errors never repeat the DSN: it holds the password.
/// </summary>
internal static class PostgresDsn
{
    public static NpgsqlConnectionStringBuilder Parse(string dsn)
    {
        if (dsn.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || dsn.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseUri(dsn);
        }

        if (IsKeyValue(dsn))
        {
            return ParseKeyValue(dsn);
        }

        return new NpgsqlConnectionStringBuilder(dsn);
    }

    /// <summary>What is wrong with a DSN, without any part of it that could be the password.</summary>
    public static string Problem(Exception e) => e switch
    {
        DsnException d => d.Message,
        UriFormatException u => u.Message,
        _ => e.Message.Split('\'')[0].Trim(),
    };

    /// <summary>libpq's form: the first token is <c>key=value</c> and there is no Npgsql <c>;</c> separator.</summary>
    private static bool IsKeyValue(string dsn)
    {
        string trimmed = dsn.TrimStart();
        int eq = trimmed.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 && !dsn.Contains(';', StringComparison.Ordinal) && trimmed[..eq].TrimEnd().All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }

    private static NpgsqlConnectionStringBuilder ParseKeyValue(string dsn)
    {
        var builder = new NpgsqlConnectionStringBuilder { Database = null };
        int i = 0;
        while (true)
        {
            while (i < dsn.Length && char.IsWhiteSpace(dsn[i]))
            {
                i++;
            }

            if (i >= dsn.Length)
            {
                break;
            }

            int keyStart = i;
            while (i < dsn.Length && dsn[i] != '=' && !char.IsWhiteSpace(dsn[i]))
            {
                i++;
            }

            string key = dsn[keyStart..i];
            while (i < dsn.Length && char.IsWhiteSpace(dsn[i]))
            {
                i++;
            }

            if (key.Length == 0 || i >= dsn.Length || dsn[i] != '=')
            {
                throw new DsnException($"invalid key=value DSN: expected \"=\" after \"{Shown(key)}\"");
            }

            i++;
            while (i < dsn.Length && char.IsWhiteSpace(dsn[i]))
            {
                i++;
            }

            var value = new StringBuilder();
            if (i < dsn.Length && dsn[i] == '\'')
            {
                i++;
                bool closed = false;
                while (i < dsn.Length)
                {
                    char c = dsn[i++];
                    if (c == '\\' && i < dsn.Length)
                    {
                        value.Append(dsn[i++]);
                    }
                    else if (c == '\'')
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                if (!closed)
                {
                    throw new DsnException($"invalid key=value DSN: unterminated quoted value of {Shown(key)}");
                }
            }
            else
            {
                while (i < dsn.Length && !char.IsWhiteSpace(dsn[i]))
                {
                    char c = dsn[i++];
                    value.Append(c == '\\' && i < dsn.Length ? dsn[i++] : c);
                }
            }

            Set(builder, key, value.ToString());
        }

        builder.Database ??= builder.Username ?? "postgres";
        return builder;
    }

    /// <summary>A key as errors may show it: only if it is a plain word (a typo of "password=" shows as its first letters).</summary>
    private static string Shown(string key) => key.Length <= 32 && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? key : "(a key)";

    /// <summary>One libpq keyword, mapped to its Npgsql setting.</summary>
    private static void Set(NpgsqlConnectionStringBuilder builder, string key, string value)
    {
        switch (key)
        {
            case "host":
            case "hostaddr":
                builder.Host = value;
                break;
            case "port":
                builder.Port = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535
                    ? port
                    : throw new DsnException($"invalid DSN: port \"{value}\" is not a port number (1-65535)");
                break;
            case "user":
                builder.Username = value;
                break;
            case "password":
                builder.Password = value;
                break;
            case "dbname":
                builder.Database = value;
                break;
            case "sslmode":
                builder.SslMode = SslModeOf(value);
                break;
            case "sslrootcert":
                builder.RootCertificate = value;
                break;
            case "sslcert":
                builder.SslCertificate = value;
                break;
            case "sslkey":
                builder.SslKey = value;
                break;
            case "application_name":
                builder.ApplicationName = value;
                break;
            case "connect_timeout":
                builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) ? seconds : throw new DsnException($"invalid DSN: connect_timeout \"{value}\" is not a number of seconds");
                break;
            case "options":
                builder.Options = value;
                break;
            case "target_session_attrs":
                builder.TargetSessionAttributes = value;
                break;
            case "passfile":
                builder.Passfile = value;
                break;
            default:
                throw new DsnException($"invalid DSN: unknown key \"{Shown(key)}\" (libpq keys: host, hostaddr, port, user, password, dbname, sslmode, sslrootcert, sslcert, sslkey, application_name, connect_timeout, options, target_session_attrs, passfile)");
        }
    }

    private static SslMode SslModeOf(string value) => value switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new DsnException($"invalid DSN: unknown sslmode \"{value}\""),
    };

    private static NpgsqlConnectionStringBuilder ParseUri(string dsn)
    {
        Uri uri;
        try
        {
            uri = new Uri(dsn);
        }
        catch (UriFormatException e)
        {
            throw new DsnException($"invalid DSN URI: {e.Message}");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Uri.UnescapeDataString(uri.Host.Trim('[', ']')),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length > 1)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            string value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
            string key = Uri.UnescapeDataString(kv[0]);
            if (key is "sslmode" or "application_name" or "connect_timeout" or "options" or "target_session_attrs" or "sslrootcert" or "sslcert" or "sslkey" or "user" or "password" or "dbname" or "host" or "port")
            {
                Set(builder, key, value);
            }
        }

        return builder;
    }
}

/// <summary>An invalid DSN, told without its password.</summary>
internal sealed class DsnException(string message) : ArgumentException(message);
