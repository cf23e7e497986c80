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
}
