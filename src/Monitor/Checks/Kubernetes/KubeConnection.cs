using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.RepresentationModel;

namespace Monitor.Checks.Kubernetes;

/// <summary>
/// Where the API server is and how to authenticate: from kubeconfig files, or in-cluster. The kubeconfig model
/// and its loader are KubernetesClient's (so EKS/AKS/GKE files read as the official client reads them); the
/// merge of a <c>KUBECONFIG</c>-style list follows kubectl (the first file to define a name wins).
/// </summary>
internal sealed record KubeConnection
{
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    public required Uri Server { get; init; }

    public X509Certificate2Collection? CertificateAuthority { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The name the server's certificate is checked against, when not the server URL's host (<c>tls-server-name</c>).</summary>
    public string? TlsServerName { get; init; }

    public string? Token { get; init; }

    /// <summary>A token file, re-read as it rotates (projected service-account tokens do).</summary>
    public string? TokenFile { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Basic authentication (<c>username</c>/<c>password</c> in the user).</summary>
    public (string User, string Password)? Basic { get; init; }

    /// <summary>A credential plugin (<c>exec</c>: aws eks get-token, kubelogin, gke-gcloud-auth-plugin).</summary>
    public ExternalExecution? Exec { get; init; }

    /// <summary>The directory of the file that defined the user: a relative exec command is found from there, as kubectl does.</summary>
    public string? ExecDirectory { get; init; }

    /// <summary>The context's namespace; the check's default when it lists none.</summary>
    public string? Namespace { get; init; }

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

    /// <summary>
    /// The current context of a kubeconfig, or of a list of them separated by <c>:</c> as <c>KUBECONFIG</c>
    /// lists them: its cluster (server, CA, insecure-skip-tls-verify, tls-server-name) and user (token,
    /// tokenFile, client certificate data or files, basic auth, exec plugin), and the context's namespace.
    /// </summary>
    public static KubeConnection FromKubeconfig(string paths)
    {
        var files = paths.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (files.Length == 0)
        {
            throw new ProbeException(FailureReasons.Config, "kubeconfig: no file given");
        }

        var configs = files.Select(Load).ToList();
        var merged = Merge(configs);
        string source = files.Length == 1 ? files[0] : paths;
        string current = merged.CurrentContext is { Length: > 0 } c ? c : throw new ProbeException(FailureReasons.Config, $"{source}: no current-context");
        var context = merged.Contexts.FirstOrDefault(x => x.Name == current)?.ContextDetails
            ?? throw new ProbeException(FailureReasons.Config, $"{source}: context \"{current}\" not found");
        string clusterName = context.Cluster is { Length: > 0 } n ? n : throw new ProbeException(FailureReasons.Config, $"{source}: context \"{current}\" names no cluster");
        var (cluster, clusterFile) = Find(configs, cfg => cfg.Clusters, x => x.Name == clusterName, x => x.ClusterEndpoint);
        if (cluster is null)
        {
            throw new ProbeException(FailureReasons.Config, $"{source}: cluster \"{clusterName}\" not found");
        }

        var (user, userFile) = context.User is { Length: > 0 } userName
            ? Find(configs, cfg => cfg.Users, x => x.Name == userName, x => x.UserCredentials)
            : (null, null);
        string clusterDir = Directory(clusterFile);
        string userDir = Directory(userFile);

        X509Certificate2Collection? ca = null;
        if (cluster.CertificateAuthorityData is { Length: > 0 } caData)
        {
            ca = [];
            ca.ImportFromPem(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(caData)));
        }
        else if (cluster.CertificateAuthority is { Length: > 0 } caFile)
        {
            ca = [];
            ca.ImportFromPemFile(Resolve(clusterDir, caFile));
        }

        X509Certificate2? clientCert = null;
        if (user?.ClientCertificateData is { Length: > 0 } certData && user.ClientKeyData is { Length: > 0 } keyData)
        {
            clientCert = X509Certificate2.CreateFromPem(
                System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(certData)),
                System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(keyData)));
        }
        else if (user?.ClientCertificate is { Length: > 0 } certFile && user.ClientKey is { Length: > 0 } keyFile)
        {
            clientCert = X509Certificate2.CreateFromPemFile(Resolve(userDir, certFile), Resolve(userDir, keyFile));
        }

        if (user?.ExternalExecution is { } exec && string.IsNullOrWhiteSpace(exec.Command))
        {
            throw new ProbeException(FailureReasons.Config, $"{source}: user \"{context.User}\": exec needs a command");
        }

        // KubernetesClient's model has no tokenFile (kubectl's field): read it from the file that defined the user.
        string? tokenFile = context.User is { Length: > 0 } u && userFile is not null ? TokenFileOf(userFile, u) : null;
        return new KubeConnection
        {
            Server = Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server) ? server : throw new ProbeException(FailureReasons.Config, $"{source}: cluster \"{clusterName}\" has no valid server ({cluster.Server})"),
            CertificateAuthority = ca,
            InsecureSkipTlsVerify = cluster.SkipTlsVerify,
            TlsServerName = cluster.TlsServerName is { Length: > 0 } tls ? tls : null,
            Token = user?.Token is { Length: > 0 } token ? token : null,
            TokenFile = tokenFile is null ? null : Resolve(userDir, tokenFile),
            ClientCertificate = clientCert,
            Basic = user?.UserName is { Length: > 0 } basicUser && user.Password is { } password ? (basicUser, password) : null,
            Exec = user?.ExternalExecution,
            ExecDirectory = userDir,
            Namespace = context.Namespace is { Length: > 0 } ns ? ns : null,
        };
    }

    private static K8SConfiguration Load(string file)
    {
        try
        {
            return KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(file));
        }
        catch (KubeConfigException e)
        {
            throw new ProbeException(FailureReasons.Config, e.Message);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ProbeException(FailureReasons.Config, $"{file}:{e.Start.Line}:{e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        catch (IOException e)
        {
            throw new ProbeException(FailureReasons.Config, $"{file}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ProbeException(FailureReasons.Config, $"{file}: {e.Message}");
        }
    }

    /// <summary>kubectl's merge: the first file that sets current-context wins; lists are looked up file by file.</summary>
    private static K8SConfiguration Merge(List<K8SConfiguration> configs) => new()
    {
        CurrentContext = configs.Select(c => c.CurrentContext).FirstOrDefault(c => !string.IsNullOrEmpty(c)),
        Contexts = configs.SelectMany(c => c.Contexts ?? []).DistinctBy(c => c.Name).ToList(),
        Clusters = configs.SelectMany(c => c.Clusters ?? []).DistinctBy(c => c.Name).ToList(),
        Users = configs.SelectMany(c => c.Users ?? []).DistinctBy(c => c.Name).ToList(),
    };

    private static (TValue? Value, string? File) Find<TItem, TValue>(List<K8SConfiguration> configs, Func<K8SConfiguration, IEnumerable<TItem>?> list, Func<TItem, bool> match, Func<TItem, TValue> value)
        where TValue : class
    {
        foreach (var config in configs)
        {
            foreach (var item in list(config) ?? [])
            {
                if (match(item))
                {
                    return (value(item), config.FileName);
                }
            }
        }

        return (null, null);
    }

    private static string Directory(string? file) => file is null ? "." : Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";

    private static string Resolve(string dir, string path) => Path.IsPathRooted(path) ? path : Path.Combine(dir, path);

    private static string? TokenFileOf(string file, string userName)
    {
        var stream = Configuration.YamlText.Load(File.ReadAllText(file), file, out _);
        if (stream is null || stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("users"), out var users) || users is not YamlSequenceNode list)
        {
            return null;
        }

        foreach (var entry in list.Children.OfType<YamlMappingNode>())
        {
            if (entry.Children.TryGetValue(new YamlScalarNode("name"), out var name) && name is YamlScalarNode { Value: var n } && n == userName
                && entry.Children.TryGetValue(new YamlScalarNode("user"), out var user) && user is YamlMappingNode details
                && details.Children.TryGetValue(new YamlScalarNode("tokenFile"), out var tokenFile) && tokenFile is YamlScalarNode { Value: { Length: > 0 } value })
            {
                return value;
            }
        }

        return null;
    }
}
