using Monitor.Configuration;

namespace Monitor.Delivery.Alertmanager;

/// <summary>The <c>alertmanager</c> section of a receiver.</summary>
internal sealed record AlertmanagerReceiverOptions : IReceiverSettings
{
    /// <summary>Every Alertmanager of the cluster (never a load balancer).</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }

    public static AlertmanagerReceiverOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var urls = new List<Uri>();
        bool ok = true;
        foreach (var (node, path) in map.Sequence("urls", required: true) ?? [])
        {
            if (map.Scalar(node, path) is not { } text)
            {
                ok = false;
            }
            else if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                urls.Add(uri);
            }
            else
            {
                map.Context.Error(node.Start, $"{path}: invalid URL \"{text}\"");
                ok = false;
            }
        }

        if (ok && urls.Count == 0 && map.Has("urls"))
        {
            map.Context.Error(map.KeyMark("urls"), $"{map.Field("urls")}: must not be empty");
            ok = false;
        }

        map.Finish();
        return ok && urls.Count > 0 ? new AlertmanagerReceiverOptions { Urls = urls } : null;
    }
}
