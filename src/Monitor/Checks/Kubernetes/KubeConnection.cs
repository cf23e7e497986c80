using System.Security.Cryptography.X509Certificates;
using YamlDotNet.RepresentationModel;

namespace Monitor.Checks.Kubernetes;

/// <summary>Where the API server is and how to authenticate: from a kubeconfig, or in-cluster.</summary>
internal sealed record KubeConnection
{
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    public required Uri Server { get; init; }

    public X509Certificate2Collection? CertificateAuthority { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    public string? Token { get; init; }

    /// <summary>A token file, re-read as it rotates (projected service-account tokens do).</summary>
    public string? TokenFile { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    public static KubeConnection InCluster(Func<string, string?> environment)
    {
        string host = environment("KUBERNETES_SERVICE_HOST") ?? throw new ProbeException(FailureReasons.Config, "not in a cluster: KUBERNETES_SERVICE_HOST is not set (give kubernetes.kubeconfig)");
        string port = environment("KUBERNETES_SERVICE_PORT") ?? "443";
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(Path.Combine(ServiceAccountDir, "ca.crt"));
        return new KubeConnection
        {
            Server = new Uri($"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}"),
            CertificateAuthority = ca,
            TokenFile = Path.Combine(ServiceAccountDir, "token"),
        };
    }

    /// <summary>The current context of a kubeconfig: its cluster (server, CA, insecure) and user (token, tokenFile, client cert).</summary>
    public static KubeConnection FromKubeconfig(string path)
    {
        var stream = Configuration.YamlText.Load(File.ReadAllText(path), path, out var yamlError)
            ?? throw new ProbeException(FailureReasons.Config, yamlError!.ToString());
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ProbeException(FailureReasons.Config, $"{path}: not a kubeconfig (expected a mapping)");
        }

        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        string current = Scalar(root, "current-context") ?? throw new ProbeException(FailureReasons.Config, $"{path}: no current-context");
        var context = Named(root, "contexts", current, "context") ?? throw new ProbeException(FailureReasons.Config, $"{path}: context \"{current}\" not found");
        string clusterName = Scalar(context, "cluster") ?? throw new ProbeException(FailureReasons.Config, $"{path}: context \"{current}\" names no cluster");
        var cluster = Named(root, "clusters", clusterName, "cluster") ?? throw new ProbeException(FailureReasons.Config, $"{path}: cluster \"{clusterName}\" not found");
        var user = Scalar(context, "user") is { } userName ? Named(root, "users", userName, "user") : null;

        X509Certificate2Collection? ca = null;
        if (Scalar(cluster, "certificate-authority-data") is { } caData)
        {
            ca = [];
            ca.ImportFromPem(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(caData)));
        }
        else if (Scalar(cluster, "certificate-authority") is { } caFile)
        {
            ca = [];
            ca.ImportFromPemFile(Path.IsPathRooted(caFile) ? caFile : Path.Combine(dir, caFile));
        }

        X509Certificate2? clientCert = null;
        if (user is not null && Scalar(user, "client-certificate-data") is { } certData && Scalar(user, "client-key-data") is { } keyData)
        {
            clientCert = X509Certificate2.CreateFromPem(
                System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(certData)),
                System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(keyData)));
        }

        string? tokenFile = user is null ? null : Scalar(user, "tokenFile");
        return new KubeConnection
        {
            Server = new Uri(Scalar(cluster, "server") ?? throw new ProbeException(FailureReasons.Config, $"{path}: cluster \"{clusterName}\" has no server")),
            CertificateAuthority = ca,
            InsecureSkipTlsVerify = Scalar(cluster, "insecure-skip-tls-verify") == "true",
            Token = user is null ? null : Scalar(user, "token"),
            TokenFile = tokenFile is null ? null : Path.IsPathRooted(tokenFile) ? tokenFile : Path.Combine(dir, tokenFile),
            ClientCertificate = clientCert,
        };
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode s ? s.Value : null;

    private static YamlMappingNode? Named(YamlMappingNode root, string list, string name, string inner) =>
        root.Children.TryGetValue(new YamlScalarNode(list), out var node) && node is YamlSequenceNode seq
            ? seq.Children.OfType<YamlMappingNode>().Where(m => Scalar(m, "name") == name)
                .Select(m => m.Children.TryGetValue(new YamlScalarNode(inner), out var n) ? n as YamlMappingNode : null).FirstOrDefault()
            : null;
}
