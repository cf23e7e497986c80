using Monitor.Configuration;

namespace Monitor.Checks.Docker;

/// <summary>The <c>docker</c> section of a check.</summary>
internal sealed record DockerCheckOptions : ICheckSettings
{
    /// <summary>Docker's default socket; podman's rootful one is <c>/run/podman/podman.sock</c>.</summary>
    public const string DefaultSocket = "/var/run/docker.sock";

    /// <summary>The Engine API's unix socket. <value>Default <c>/var/run/docker.sock</c>.</value></summary>
    public string Socket { get; init; } = DefaultSocket;

    /// <summary>Only the containers of this compose project (label <c>com.docker.compose.project</c>). <value>Default: every container.</value></summary>
    public string? Project { get; init; }

    /// <summary>Also containers that are not running (exited, created, dead), as <c>docker ps -a</c>. <value>Default true.</value></summary>
    public bool IncludeStopped { get; init; } = true;

    public string Target => Project is null ? "unix://" + Socket : $"unix://{Socket} project {Project}";

    public static DockerCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            // `docker:` alone: every container on the default socket.
            return new DockerCheckOptions();
        }

        var ctx = map.Context;
        string socket = map.String("socket") ?? DefaultSocket;
        string? project = map.String("project");
        bool includeStopped = map.Bool("include_stopped") ?? true;
        map.Finish();
        if (!socket.StartsWith('/'))
        {
            ctx.Error(map.Get("socket")!.Start, $"{map.Field("socket")}: \"{socket}\" must be an absolute path to the Engine API's unix socket (e.g. {DefaultSocket})");
            return null;
        }

        if (project is { Length: 0 })
        {
            ctx.Error(map.Get("project")!.Start, $"{map.Field("project")}: must not be empty (leave it out for every container)");
            return null;
        }

        return new DockerCheckOptions { Socket = socket, Project = project, IncludeStopped = includeStopped };
    }
}
