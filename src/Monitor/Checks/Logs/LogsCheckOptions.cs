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

    public string Target => Docker is { } d ? $"docker://{d.Container} (unix://{d.Socket})" : Path!;

    public static LogsCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        string? path = map.String("path");
        var docker = ReadDocker(map);
        bool sourceOk = true;
        if ((path is null) == (docker is null) && !(map.Has("docker") && docker is null))
        {
            map.Context.Error(map.Start, path is null ? $"{map.Path}: one of path (files) or docker (a container's logs) is required" : $"{map.Path}: path and docker exclude each other; give one");
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
        return !sourceOk || (path is null && docker is null) ? null : new LogsCheckOptions { Path = path, Docker = docker, Patterns = patterns, LastLines = lastLines, StateFile = stateFile };
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
}
