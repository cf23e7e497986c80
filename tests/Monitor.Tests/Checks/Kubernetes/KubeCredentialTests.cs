using Microsoft.Extensions.Time.Testing;
using Monitor.Checks;
using Monitor.Checks.Kubernetes;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Tests.Checks.Kubernetes;

/// <summary>
/// How the Kubernetes check authenticates from kubeconfigs as EKS, AKS and GKE write them: an exec credential
/// plugin (a real script printing an ExecCredential), its failures, its expiry, KUBECONFIG lists, tls-server-name
/// and the context's namespace, against the API stand-in.
/// </summary>
public sealed class KubeCredentialTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);
    private KubeApiStandIn _api = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiStandIn.StartAsync();
        _dir = Path.Combine(Path.GetTempPath(), "kubecred-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string Ca => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(_api.Certificate.ExportCertificatePem()));

    /// <summary>A plugin script: counts its runs in a file, prints what <paramref name="body"/> prints.</summary>
    private string Plugin(string name, string body)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"#!/bin/sh\necho run >> {Path.Combine(_dir, name + ".runs")}\n{body}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private int Runs(string name) => File.Exists(Path.Combine(_dir, name + ".runs")) ? File.ReadAllLines(Path.Combine(_dir, name + ".runs")).Length : 0;

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Prints an ExecCredential; <paramref name="token"/> and <paramref name="expires"/> may hold shell variables.</summary>
    private static string ExecCredential(string token, string? expires = null) =>
        "cat <<JSON\n{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" + token + "\""
        + (expires is { } e ? ",\"expirationTimestamp\":\"" + e + "\"" : "")
        + "}}\nJSON";

    private string Kubeconfig(string user, string cluster = "", string context = "", string file = "kubeconfig")
    {
        string path = Path.Combine(_dir, file);
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: standin
              cluster:
                server: {{_api.BaseUri.ToString().TrimEnd('/')}}
                certificate-authority-data: {{Ca}}
            {{cluster}}
            users:
            - name: monitor
              user:
            {{user}}
            contexts:
            - name: test
              context:
                cluster: standin
                user: monitor
            {{context}}
            """);
        return path;
    }

    private static string ExecUser(string command, string args = "") => $"""
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: {command}
                  args: [{args}]
                  env: [{"{"} name: CLUSTER, value: "prod cluster" {"}"}]
                  interactiveMode: Never
        """;

    private static (KubernetesCheck Check, FakeTimeProvider Time) Check(string kubeconfig, FakeTimeProvider? time = null)
    {
        time ??= new FakeTimeProvider(T0);
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = new KubernetesCheckOptions { Kubeconfig = kubeconfig },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        return (new KubernetesCheck(options, new SeriesScope(new SeriesStore(), "cluster", new Dictionary<string, string>()), time), time);
    }

    [Fact]
    public async Task ExecPlugin_TokenIsUsed_AndReusedUntilItExpires()
    {
        // The arguments and env reach the plugin one by one (a space inside an argument stays inside it).
        // Its first credential expires at T0 + 15 m, the next ones an hour later.
        string runs = Path.Combine(_dir, "get-token.runs");
        Plugin("get-token", "[ \"$1\" = \"--cluster\" ] && [ \"$2\" = \"my cluster\" ] && [ \"$CLUSTER\" = \"prod cluster\" ] || { echo bad args >&2; exit 3; }\n"
            + $"if [ $(wc -l < {runs}) -eq 1 ]; then exp={Rfc3339(T0.AddMinutes(15))}; else exp={Rfc3339(T0.AddMinutes(75))}; fi\n"
            + ExecCredential("token-1", "$exp"));
        var (check, time) = Check(Kubeconfig(ExecUser("./get-token", "--cluster, \"my cluster\"")));

        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        Assert.Equal(1, Runs("get-token"));

        // Reused while it is valid for more than 30 s ...
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Equal(1, Runs("get-token"));

        // ... and asked for again once it is about to expire.
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Equal(2, Runs("get-token"));
    }

    [Fact]
    public async Task ExecPlugin_RejectedToken_RunsThePluginAgainOnce()
    {
        string plugin = Plugin("rotating", "n=$(wc -l < " + Path.Combine(_dir, "rotating.runs") + ")\n" + ExecCredential("token-$n"));
        _api.Token = "token-2";
        var (check, _) = Check(Kubeconfig(ExecUser(plugin)));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        Assert.Equal(2, Runs("rotating"));
    }

    [Fact]
    public async Task ExecPlugin_ThatFails_IsAnAuthFailureWithItsStderr()
    {
        string plugin = Plugin("aws", "echo 'Unable to locate credentials. You can configure credentials by running \"aws configure\".' >&2\nexit 255");
        var (check, _) = Check(Kubeconfig(ExecUser(plugin)));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.False(result.Success);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.Contains("exited 255: Unable to locate credentials", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecPlugin_Missing_NamesItsInstallHint()
    {
        string kubeconfig = Kubeconfig(ExecUser("kubelogin-not-installed") + "\n          installHint: install kubelogin from https://azure.github.io/kubelogin");
        var (check, _) = Check(kubeconfig);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.Contains("install kubelogin", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecPlugin_PrintingNoCredential_SaysSo()
    {
        string plugin = Plugin("broken", "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{}}'");
        var (check, _) = Check(Kubeconfig(ExecUser(plugin)));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.Contains("no token and no client certificate", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubeconfigList_FirstFileWins_AndTheOthersSupplyTheRest()
    {
        // The first file sets the context and a token user; the second holds a cluster and user of the same names that lose.
        string first = Kubeconfig("        token: token-1");
        string second = Path.Combine(_dir, "second");
        await File.WriteAllTextAsync(second, """
            apiVersion: v1
            kind: Config
            current-context: elsewhere
            clusters:
            - name: standin
              cluster: { server: "https://nowhere.invalid" }
            users:
            - name: monitor
              user: { token: wrong }
            contexts: []
            """);
        var (check, _) = Check(first + ":" + second);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task ContextNamespace_IsTheDefault_AndStarMeansAll()
    {
        string kubeconfig = Kubeconfig("        token: token-1", context: "    namespace: shop");
        var (check, _) = Check(kubeconfig);
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/namespaces/shop/pods", StringComparison.Ordinal));
        Assert.DoesNotContain(_api.Requests, r => r.StartsWith("/api/v1/pods", StringComparison.Ordinal));
        Assert.Equal("shop", KubeConnection.FromKubeconfig(kubeconfig).Namespace);
    }

    [Fact]
    public async Task TlsServerName_IsWhatTheCertificateMustName()
    {
        // The stand-in's certificate names localhost; reached by address, the name comes from tls-server-name.
        string byAddress = _api.BaseUri.ToString().TrimEnd('/').Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
        string Config(string tlsName)
        {
            string path = Kubeconfig("        token: token-1", file: "kubeconfig-" + tlsName);
            File.WriteAllText(path, File.ReadAllText(path).Replace(
                $"server: {_api.BaseUri.ToString().TrimEnd('/')}", $"server: {byAddress}\n    tls-server-name: {tlsName}", StringComparison.Ordinal));
            return path;
        }

        Assert.True((await Check(Config("localhost")).Check.RunAsync(CancellationToken.None)).Success);
        Assert.Equal("api.example.com", KubeConnection.FromKubeconfig(Config("api.example.com")).TlsServerName);
        var wrong = await Check(Config("api.example.com")).Check.RunAsync(CancellationToken.None);
        Assert.False(wrong.Success);
    }

    [Fact]
    public void ClientCertificateFiles_AreReadRelativeToTheKubeconfig()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=monitor", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(T0.AddDays(-1), T0.AddDays(1));
        File.WriteAllText(Path.Combine(_dir, "client.crt"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "client.key"), key.ExportPkcs8PrivateKeyPem());
        var connection = KubeConnection.FromKubeconfig(Kubeconfig("        client-certificate: client.crt\n        client-key: client.key"));
        Assert.Equal(cert.Thumbprint, connection.ClientCertificate!.Thumbprint);
        Assert.True(connection.ClientCertificate.HasPrivateKey);
    }

    [Fact]
    public void BrokenKubeconfig_IsAConfigFailureNamingTheFile()
    {
        string path = Path.Combine(_dir, "broken");
        File.WriteAllText(path, "apiVersion: v1\nclusters: [ {name: a\n");
        var e = Assert.Throws<ProbeException>(() => KubeConnection.FromKubeconfig(path));
        Assert.Equal(FailureReasons.Config, e.Reason);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
