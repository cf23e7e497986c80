using System.Collections.ObjectModel;
using Monitor.Configuration;

namespace Monitor.Checks.Http;

/// <summary>The <c>expect</c> section of an HTTP check: what success means.</summary>
internal sealed record HttpExpectOptions
{
    /// <summary>Acceptable status codes. <value>Default: any 2xx.</value></summary>
    public IReadOnlyList<int> Status { get; init; } = [];

    /// <summary>Dotted JSON paths (<c>a.b.0.c</c>) and the values they must hold.</summary>
    public IReadOnlyDictionary<string, string> BodyJson { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Text the body must contain. <value>Default none.</value></summary>
    public string? BodyContains { get; init; }

    /// <summary>Slowest acceptable response. <value>Default none.</value></summary>
    public TimeSpan? MaxResponseTime { get; init; }

    /// <summary>Fewest days the certificate chain must still be valid; applies to https only. <value>Default none.</value></summary>
    public int? MinCertDays { get; init; }

    /// <summary>
    /// How much of the body <c>body_contains</c> and <c>body_json</c> look at: its first this many bytes, contiguous; a
    /// body that is longer is still read to the end, and a failure says it was cut. <value>Default 4 MiB.</value>
    /// </summary>
    public int MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    public const int DefaultMaxBodyBytes = 4 * 1024 * 1024;

    public bool ReadsBody => BodyJson.Count > 0 || BodyContains is not null;

    public static HttpExpectOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return new HttpExpectOptions();
        }

        var ctx = map.Context;
        var status = new List<int>();
        bool ok = true;
        foreach (var (node, path) in map.Sequence("status") ?? [])
        {
            if (map.IntegerOf(node, path, 100, 599) is { } code)
            {
                status.Add((int)code);
            }
            else
            {
                ok = false;
            }
        }

        var bodyJson = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map.Map("body_json") is { } jsonMap)
        {
            foreach (string path in jsonMap.Keys)
            {
                var node = jsonMap.Get(path);
                if (node is null)
                {
                    bodyJson[path] = "null";
                    continue;
                }

                if (path.Length == 0 || path.Split('.').Any(p => p.Length == 0))
                {
                    ctx.Error(node.Start, $"{jsonMap.Field(path)}: invalid JSON path \"{path}\" (dotted names and indices, e.g. data.items.0.status)");
                    ok = false;
                    continue;
                }

                if (jsonMap.Scalar(node, jsonMap.Field(path)) is { } value)
                {
                    bodyJson[path] = value;
                }
            }

            // Keys of body_json are data, not schema: every one is known.
            foreach (string path in jsonMap.Keys)
            {
                jsonMap.Has(path);
            }

            jsonMap.Finish();
        }

        string? contains = map.String("body_contains");
        var maxResponse = map.Duration("max_response_time");
        long? minCertDays = map.Integer("min_cert_days", 0, 3650);
        long? maxBodyBytes = map.Integer("max_body_bytes", 1, 256L * 1024 * 1024);
        map.Finish();
        return ok ? new HttpExpectOptions
        {
            Status = status,
            BodyJson = bodyJson.Count > 0 ? bodyJson : ReadOnlyDictionary<string, string>.Empty,
            BodyContains = contains,
            MaxResponseTime = maxResponse,
            MinCertDays = (int?)minCertDays,
            MaxBodyBytes = (int?)maxBodyBytes ?? DefaultMaxBodyBytes,
        } : null;
    }
}
