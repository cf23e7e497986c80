using System.Text.RegularExpressions;
using Monitor.Configuration;
using Monitor.GoCompat;

namespace Monitor.Checks.Logs;

/// <summary>One named pattern of a <c>logs</c> check: its <c>pattern</c> label and the RE2 regex it counts.</summary>
internal sealed record LogPattern(string Name, string Text, Regex Regex);

/// <summary>
/// A container whose logs a <c>logs</c> check reads through the Docker Engine API (Docker, or podman's
/// compatible service) on <paramref name="Socket"/>. <paramref name="Container"/> is its name (or id); a compose
/// service's container is named <c>PROJECT-SERVICE-1</c> unless the service sets <c>container_name</c>.
/// </summary>
internal sealed record DockerLogsSource(string Socket, string Container);

/// <summary>
/// The pods whose logs a <c>logs</c> check reads through the Kubernetes API: those of <paramref name="Namespace"/>
/// matching the label selector <paramref name="Selector"/>, every container or only <paramref name="Container"/>.
/// <paramref name="Kubeconfig"/> as the kubernetes kind reads it; null is in-cluster.
/// </summary>
internal sealed record KubernetesLogsSource(string? Kubeconfig, string Namespace, string Selector, string? Container);

/// <summary>The <c>logs</c> section of a check.</summary>
internal sealed record LogsCheckOptions : ICheckSettings
{
    /// <summary>The longest line kept; the rest of a longer line is dropped.</summary>
    public const int DefaultMaxLineBytes = 64 * 1024;

    /// <summary>The most bytes one run reads over all files; the rest is read by the next run.</summary>
    public const long DefaultMaxBytesPerRun = 16 * 1024 * 1024;

    /// <summary>An absolute path; its last segment may be a glob (<c>*</c>, <c>?</c>). Null when <see cref="Docker"/> is set.</summary>
    public string? Path { get; init; }

    /// <summary>A container's logs instead of files; exactly one of this and <see cref="Path"/> is set.</summary>
    public DockerLogsSource? Docker { get; init; }

    /// <summary>Pods' logs instead of files; exactly one of this, <see cref="Docker"/> and <see cref="Path"/> is set.</summary>
    public KubernetesLogsSource? Kubernetes { get; init; }

    /// <summary>The patterns counted, in file order.</summary>
    public required IReadOnlyList<LogPattern> Patterns { get; init; }

    /// <summary>How many of the last matching lines are kept. <value>Default 0.</value></summary>
    public int LastLines { get; init; }

    /// <summary>Where offsets are remembered. <value>Default <c>data/logs/CHECK.offsets</c> under the working directory.</value></summary>
    public string? StateFile { get; init; }

    /// <summary>Docker's default socket, as the docker kind's.</summary>
    public const string DockerSocket = Monitor.Checks.Docker.DockerCheckOptions.DefaultSocket;

    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    public long MaxBytesPerRun { get; init; } = DefaultMaxBytesPerRun;

    public string Target => Docker is { } d ? $"docker://{d.Container} (unix://{d.Socket})"
        : Kubernetes is { } k ? $"kubernetes://{k.Namespace}/{k.Selector}{(k.Container is null ? "" : "/" + k.Container)} ({k.Kubeconfig ?? "in-cluster"})"
        : Path!;

    public static LogsCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        string? path = map.String("path");
        var docker = ReadDocker(map);
        var kubernetes = ReadKubernetes(map);
        bool sourceOk = true;
        int given = (map.Has("path") ? 1 : 0) + (map.Has("docker") ? 1 : 0) + (map.Has("kubernetes") ? 1 : 0);
        if (given != 1)
        {
            map.Context.Error(map.Start, given == 0 ? $"{map.Path}: one of path (files), docker (a container's logs) or kubernetes (pods' logs) is required" : $"{map.Path}: path, docker and kubernetes exclude each other; give one");
            sourceOk = false;
        }

        if (path is not null)
        {
            string dir = System.IO.Path.GetDirectoryName(path) ?? string.Empty;
            if (!path.StartsWith('/'))
            {
                map.Context.Error(map.Get("path")!.Start, $"{map.Field("path")}: must be an absolute path, got \"{path}\"");
            }
            else if (dir.AsSpan().IndexOfAny('*', '?', '[') >= 0)
            {
                map.Context.Error(map.Get("path")!.Start, $"{map.Field("path")}: only the file name may be a glob, got \"{path}\"");
            }
            else if (System.IO.Path.GetFileName(path).Length == 0)
            {
                map.Context.Error(map.Get("path")!.Start, $"{map.Field("path")}: names a directory, not a file or glob: \"{path}\"");
            }
        }

        var patterns = new List<LogPattern>();
        var patternMap = map.Map("patterns", required: true);
        if (patternMap is not null)
        {
            foreach (string name in patternMap.Keys.ToList())
            {
                var node = patternMap.Get(name);
                string field = patternMap.Field(name);
                string? text = node is null ? null : patternMap.Scalar(node, field);
                if (node is null || text is null)
                {
                    if (node is null)
                    {
                        map.Context.Error(patternMap.KeyMark(name), $"{field}: required");
                    }

                    continue;
                }

                var regex = GoRegex.Compile(text, out string? error);
                if (regex is null)
                {
                    map.Context.Error(node.Start, $"{field}: invalid regular expression \"{text}\": {error}");
                    continue;
                }

                patterns.Add(new LogPattern(name, text, regex.Regex));
            }

            if (!patternMap.Keys.Any())
            {
                map.Context.Error(patternMap.Start, $"{map.Field("patterns")}: must not be empty");
            }

            patternMap.Finish();
        }

        int lastLines = (int)(map.Integer("last_lines", 0, 1000) ?? 0);
        string? stateFile = map.String("state_file");
        map.Finish();
        return !sourceOk || (path is null && docker is null && kubernetes is null) ? null : new LogsCheckOptions { Path = path, Docker = docker, Kubernetes = kubernetes, Patterns = patterns, LastLines = lastLines, StateFile = stateFile };
    }

    /// <summary><c>docker: { socket: PATH, container: NAME }</c>; null (with the error reported) when absent or wrong.</summary>
    private static DockerLogsSource? ReadDocker(YamlMap map)
    {
        if (!map.Has("docker"))
        {
            return null;
        }

        var docker = map.Map("docker");
        if (docker is null)
        {
            map.Context.Error(map.Get("docker")!.Start, $"{map.Field("docker")}: must be a mapping with container (and optionally socket)");
            return null;
        }

        string socket = docker.String("socket") ?? DockerSocket;
        string? container = docker.String("container", required: true);
        docker.Finish();
        if (!socket.StartsWith('/'))
        {
            map.Context.Error(docker.Get("socket")!.Start, $"{docker.Field("socket")}: \"{socket}\" must be an absolute path to the Engine API's unix socket (e.g. {DockerSocket})");
            return null;
        }

        if (container is { Length: 0 })
        {
            map.Context.Error(docker.Get("container")!.Start, $"{docker.Field("container")}: must not be empty");
            return null;
        }

        return container is null ? null : new DockerLogsSource(socket, container.TrimStart('/'));
    }

    /// <summary><c>kubernetes: { kubeconfig: PATH, namespace: NS, selector: LABELS, container: NAME }</c>; null (with the error reported) when absent or wrong.</summary>
    private static KubernetesLogsSource? ReadKubernetes(YamlMap map)
    {
        if (!map.Has("kubernetes"))
        {
            return null;
        }

        var kube = map.Map("kubernetes");
        if (kube is null)
        {
            map.Context.Error(map.Get("kubernetes")!.Start, $"{map.Field("kubernetes")}: must be a mapping with namespace and selector (and optionally kubeconfig, container)");
            return null;
        }

        string? kubeconfig = kube.String("kubeconfig");
        string? ns = kube.String("namespace", required: true);
        string? selector = kube.String("selector", required: true);
        string? container = kube.String("container");
        kube.Finish();
        foreach (var (field, value) in new[] { ("namespace", ns), ("selector", selector), ("container", container) })
        {
            if (value is { Length: 0 })
            {
                map.Context.Error(kube.Get(field)!.Start, $"{kube.Field(field)}: must not be empty");
                return null;
            }
        }

        return ns is null || selector is null ? null : new KubernetesLogsSource(kubeconfig is null ? null : map.Context.ResolvePath(kubeconfig), ns, selector, container);
    }
}
