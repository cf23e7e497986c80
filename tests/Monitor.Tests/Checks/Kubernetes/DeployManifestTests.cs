using Monitor.Configuration;
using Monitor.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Monitor.Tests.Checks.Kubernetes;

/// <summary>deploy/kubernetes: the objects issue #7 asks for, RBAC matching what the check lists, a valid Monitor config.</summary>
public class DeployManifestTests
{
    private static List<YamlMappingNode> Documents()
    {
        var documents = new List<YamlMappingNode>();
        foreach (string file in Directory.EnumerateFiles(Repository.File("deploy/kubernetes"), "*.yaml"))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            documents.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }

        return documents;
    }

    private static string Kind(YamlMappingNode doc) => ((YamlScalarNode)doc["kind"]).Value!;

    [Fact]
    public void Manifests_HaveEveryObject()
    {
        var kinds = Documents().Select(Kind).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Secret", "Service", "ServiceAccount", "ServiceMonitor"], kinds);
    }

    [Fact]
    public void ClusterRole_GrantsExactlyReadOnTheListedResources()
    {
        var role = Documents().Single(d => Kind(d) == "ClusterRole");
        var grants = ((YamlSequenceNode)role["rules"]).Children.Cast<YamlMappingNode>()
            .SelectMany(r => ((YamlSequenceNode)r["resources"]).Children.Select(res => ((YamlScalarNode)res).Value!)
                .Select(res => (res, Verbs: string.Join(",", ((YamlSequenceNode)r["verbs"]).Children.Select(v => ((YamlScalarNode)v).Value)))))
            .ToList();
        Assert.Equal(["deployments", "nodes", "persistentvolumeclaims", "pods", "services"], grants.Select(g => g.res).Order(StringComparer.Ordinal));
        Assert.All(grants, g => Assert.Equal("get,list,watch", g.Verbs));
    }

    [Fact]
    public void ConfigMap_IsAValidMonitorConfig_AndProbesUseHealthAndReady()
    {
        var map = Documents().Single(d => Kind(d) == "ConfigMap");
        string yaml = ((YamlScalarNode)((YamlMappingNode)map["data"])["monitor.yaml"]).Value!;
        var result = ConfigLoader.Parse(yaml, "configmap:monitor.yaml", _ => null, _ => "secret");
        Assert.Empty(result.Errors);
        Assert.Equal("0.0.0.0:9747", result.Options!.Server.Listen);
        Assert.Contains(result.Options.Checks, c => c.Kind == CheckKind.Kubernetes && c.Kubernetes!.Kubeconfig is null);

        string deployment = File.ReadAllText(Repository.File("deploy/kubernetes/deployment.yaml"));
        Assert.Contains("httpGet: { path: /readyz, port: http }", deployment);
        Assert.Contains("httpGet: { path: /healthz, port: http }", deployment);
    }
}
