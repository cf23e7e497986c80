using Monitor.Configuration;
using Npgsql;

namespace Monitor.Tests.Configuration;

/// <summary>The three DSN forms (URI, libpq key=value, Npgsql), and errors that never show the password.</summary>
public sealed class PostgresDsnTests
{
    [Fact]
    public void KeyValue_SpaceSeparated_MapsEachKey()
    {
        var b = PostgresDsn.Parse("host=db.internal port=6432 user=monitor password=s3cret dbname=app sslmode=require application_name=mon connect_timeout=3");
        Assert.Equal("db.internal", b.Host);
        Assert.Equal(6432, b.Port);
        Assert.Equal("monitor", b.Username);
        Assert.Equal("s3cret", b.Password);
        Assert.Equal("app", b.Database);
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal("mon", b.ApplicationName);
        Assert.Equal(3, b.Timeout);
    }

    [Fact]
    public void KeyValue_QuotedValuesSpacesAroundEqualsAndEscapes()
    {
        var b = PostgresDsn.Parse("  host = db   password='it s' user='a b' dbname=x\\ y ");
        Assert.Equal("db", b.Host);
        Assert.Equal("a b", b.Username);
        Assert.Equal("x y", b.Database);
        var quoted = PostgresDsn.Parse(@"host=db password='it\'s \\ ok'");
        Assert.Equal(@"it's \ ok", quoted.Password);
        Assert.Equal(5432, quoted.Port);
    }

    [Theory]
    [InlineData("postgres://u:p%40ss@db:5433/app?sslmode=disable", "db", 5433, "u", "p@ss", "app")]
    [InlineData("postgresql://u@db/app", "db", 5432, "u", null, "app")]
    [InlineData("Host=db;Port=5434;Username=u;Password=pw;Database=app", "db", 5434, "u", "pw", "app")]
    public void UriAndNpgsqlForms_StillWork(string dsn, string host, int port, string user, string? password, string database)
    {
        var b = PostgresDsn.Parse(dsn);
        Assert.Equal((host, port, user, password, database), (b.Host, b.Port, b.Username, b.Password, b.Database));
    }

    [Theory]
    [InlineData("host=db port=99999 password=hunter2", "port \"99999\" is not a port number")]
    [InlineData("host=db passwrd=hunter2", "unknown key \"passwrd\"")]
    [InlineData("host=db password='hunter2", "unterminated quoted value of password")]
    [InlineData("postgres://u:hunter2@db:99999/app", "invalid DSN URI")]
    [InlineData("host=db sslmode=sometimes password=hunter2", "unknown sslmode")]
    public void Invalid_SaysWhyWithoutThePassword(string dsn, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => PostgresDsn.Parse(dsn));
        string problem = PostgresDsn.Problem(e);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", problem, StringComparison.Ordinal);
    }
}
