using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.Checks.Kubernetes;

namespace Monitor.IntegrationTests.Checks;

/// <summary>The kubeconfig files the Kubernetes tests use are real ones: kubectl reads them the same way.</summary>
public sealed class KubeconfigTests
{
    [Fact]
    public async Task Kubectl_ReadsTheTestKubeconfig_SameContextServerAndTokenFile()
    {
        await using var api = await KubeApiStandIn.StartAsync();
        string dir = Tools.TempDirectory();
        string tokenFile = Path.Combine(dir, "token");
        await File.WriteAllTextAsync(tokenFile, "token-1");
        string kubeconfig = api.WriteKubeconfig(dir, tokenFile);
        string kubectl = Tools.Require("kubectl", "kubernetes-client");

        var (code, output) = await ExternalProcess.RunAsync(kubectl, ["--kubeconfig", kubeconfig, "config", "current-context"]);
        Assert.True(code == 0, output);
        Assert.Equal("test", output.Trim());

        (code, output) = await ExternalProcess.RunAsync(kubectl, ["--kubeconfig", kubeconfig, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server} {.users[0].user.tokenFile}"]);
        Assert.True(code == 0, output);
        Assert.Equal($"{api.BaseUri.ToString().TrimEnd('/')} {tokenFile}", output.Trim());

        var connection = Monitor.Checks.Kubernetes.KubeConnection.FromKubeconfig(kubeconfig);
        Assert.Equal(api.BaseUri, connection.Server);
        Assert.Equal(tokenFile, connection.TokenFile);
        Assert.Equal(api.Certificate.Thumbprint, Assert.Single(connection.CertificateAuthority!).Thumbprint);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Kubectl_AndMonitor_AuthenticateWithTheSameExecPlugin_AndKubeconfigList()
    {
        await using var api = await KubeApiStandIn.StartAsync();
        string dir = Tools.TempDirectory();
        string plugin = Path.Combine(dir, "get-token");
        await File.WriteAllTextAsync(plugin, "#!/bin/sh\n[ \"$1\" = token ] || exit 2\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"token-1\"}}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // As `aws eks update-kubeconfig` writes it, split over two files as a KUBECONFIG list: context and user in one,
        // cluster in the other.
        string ca = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(api.Certificate.ExportCertificatePem()));
        string first = Path.Combine(dir, "config");
        string second = Path.Combine(dir, "cluster");
        await File.WriteAllTextAsync(first, $$"""
            apiVersion: v1
            kind: Config
            current-context: eks
            contexts:
            - name: eks
              context: { cluster: prod, user: eks-user, namespace: shop }
            users:
            - name: eks-user
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./get-token
                  args: [token]
            """);
        await File.WriteAllTextAsync(second, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod
              cluster:
                server: {{api.BaseUri.ToString().TrimEnd('/')}}
                certificate-authority-data: {{ca}}
            """);
        string list = first + ":" + second;
        string kubectl = Tools.Require("kubectl", "kubernetes-client");
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = list };

        var (code, output) = await ExternalProcess.RunAsync(kubectl, ["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server} {.users[0].user.exec.command} {.contexts[0].context.namespace}"], environment: env);
        Assert.True(code == 0, output);
        var connection = Monitor.Checks.Kubernetes.KubeConnection.FromKubeconfig(list);
        Assert.Equal(output.Trim(), $"{connection.Server.ToString().TrimEnd('/')} {connection.Exec!.Command} {connection.Namespace}");

        // kubectl runs the plugin and the server accepts its token; so it does for Monitor.
        (code, output) = await ExternalProcess.RunAsync(kubectl, ["get", "--raw", "/api/v1/namespaces/shop/pods?limit=1"], environment: env);
        Assert.True(code == 0, output);
        var check = new Monitor.Checks.Kubernetes.KubernetesCheck(
            new Monitor.Configuration.CheckOptions
            {
                Name = "eks",
                Kind = Monitor.Checks.Kubernetes.KubernetesCheck.Kind,
                Settings = new Monitor.Checks.Kubernetes.KubernetesCheckOptions { Kubeconfig = list },
                Interval = TimeSpan.FromSeconds(30),
                Timeout = TimeSpan.FromSeconds(10),
            },
            new Monitor.Metrics.SeriesScope(new Monitor.Metrics.SeriesStore(), "eks", new Dictionary<string, string>()),
            TimeProvider.System);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        Assert.Contains(api.Requests, r => r.StartsWith("/api/v1/namespaces/shop/pods", StringComparison.Ordinal));
        Directory.Delete(dir, recursive: true);
    }
}
