using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Monitor.Configuration;

internal static partial class ConfigLoader
{
    private static readonly (string Key, CheckKind Kind)[] CheckKinds =
    [
        ("http", CheckKind.Http),
        ("tcp", CheckKind.Tcp),
        ("postgres", CheckKind.Postgres),
        ("nvidia_smi", CheckKind.NvidiaSmi),
        ("scrape", CheckKind.Scrape),
        ("disk", CheckKind.Disk),
        ("kubernetes", CheckKind.Kubernetes),
    ];

    private static readonly HashSet<string> HttpMethods = new(StringComparer.Ordinal) { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };

    private static List<CheckOptions> ReadChecks(YamlMap root, DefaultsOptions defaults)
    {
        var result = new List<CheckOptions>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (node, path) in root.Sequence("checks") ?? [])
        {
            var map = YamlMap.From(root.Context, node, path);
            if (map is null)
            {
                if (YamlMap.IsNull(node))
                {
                    root.Context.Error(node.Start, $"{path}: empty check");
                }

                continue;
            }

            var (check, name) = ReadCheck(map, defaults);
            if (name is not null)
            {
                if (names.TryGetValue(name, out string? first))
                {
                    map.Context.Error(map.Get("name")!.Start, $"{path}.name: duplicate check name \"{name}\" (first used at {first})");
                    continue;
                }

                names[name] = path;
            }

            if (check is not null)
            {
                result.Add(check);
            }
        }

        return result;
    }

    private static (CheckOptions? Check, string? Name) ReadCheck(YamlMap map, DefaultsOptions defaults)
    {
        var ctx = map.Context;
        string? name = map.String("name", required: true);
        if (name is not null && !Names.IsObjectName(name))
        {
            ctx.Error(map.Get("name")!.Start, $"{map.Field("name")}: invalid check name \"{name}\" ({Names.ObjectNameRule})");
            name = null;
        }

        var interval = map.Duration("interval");
        var timeout = map.Duration("timeout");
        var labels = map.StringMap("labels", n => Names.IsLabelName(n) && n != "check", Names.LabelNameRule + "; \"check\" is set by Monitor") ?? [];

        var present = CheckKinds.Where(k => map.Has(k.Key)).ToList();
        if (present.Count != 1)
        {
            ctx.Error(map.Start, present.Count == 0
                ? $"{map.Path}: a check needs exactly one of {string.Join(", ", CheckKinds.Select(k => k.Key))}"
                : $"{map.Path}: a check has exactly one kind, found {string.Join(" and ", present.Select(k => k.Key))}");
            foreach (var (key, _) in CheckKinds)
            {
                map.Get(key);
            }

            map.Finish();
            return (null, name);
        }

        var (kindKey, kind) = present[0];
        var section = map.Get(kindKey)!;
        var check = new CheckOptions { Name = name ?? string.Empty, Kind = kind, Labels = labels, Origin = $"{ctx.File}:{map.Start.Line}:{map.Start.Column}" };
        check = kind switch
        {
            CheckKind.Http => check with { Http = ReadHttp(YamlMap.From(ctx, section, map.Field(kindKey))) },
            CheckKind.Tcp => check with { Tcp = ReadTcp(YamlMap.From(ctx, section, map.Field(kindKey))) },
            CheckKind.Postgres => check with { Postgres = ReadPostgres(YamlMap.From(ctx, section, map.Field(kindKey))) },
            CheckKind.NvidiaSmi => check with { NvidiaSmi = ReadNvidiaSmi(YamlMap.From(ctx, section, map.Field(kindKey))) },
            CheckKind.Scrape => check with { Scrape = ReadScrape(YamlMap.From(ctx, section, map.Field(kindKey))) },
            CheckKind.Disk => check with { Disk = ReadDisk(YamlMap.From(ctx, section, map.Field(kindKey))) },
            CheckKind.Kubernetes => check with { Kubernetes = ReadKubernetes(YamlMap.From(ctx, section, map.Field(kindKey))) },
            _ => check,
        };

        var effectiveInterval = interval ?? defaults.Interval;
        var effectiveTimeout = timeout ?? defaults.Timeout;
        if (effectiveTimeout > effectiveInterval)
        {
            if (timeout is not null)
            {
                ctx.Error(map.Get("timeout")!.Start, $"{map.Field("timeout")}: {PromDuration.Format(effectiveTimeout)} is longer than the interval {PromDuration.Format(effectiveInterval)}");
            }

            // A default timeout longer than the check's interval is capped, so runs never overlap.
            effectiveTimeout = effectiveInterval;
        }

        map.Finish();
        bool complete = name is not null && (check.Http ?? (object?)check.Tcp ?? check.Postgres ?? check.NvidiaSmi ?? check.Scrape ?? check.Disk ?? (object?)check.Kubernetes) is not null;
        if (!complete)
        {
            return (null, name);
        }

        return (check with
        {
            Interval = effectiveInterval,
            Timeout = effectiveTimeout,
            Fingerprint = string.Create(CultureInfo.InvariantCulture, $"{kind}|{effectiveInterval.Ticks}|{effectiveTimeout.Ticks}|{Canonical(ctx, map.Node.Children.Where(c => ((YamlScalarNode)c.Key).Value is not ("interval" or "timeout" or "name")).Select(c => c))}"),
        }, name);
    }

    /// <summary>A canonical text of YAML entries with variables expanded, for change detection on reload.</summary>
    private static string Canonical(ConfigContext ctx, IEnumerable<KeyValuePair<YamlNode, YamlNode>> entries)
    {
        var sb = new StringBuilder();
        void Write(YamlNode node)
        {
            switch (node)
            {
                case YamlScalarNode s:
                    sb.Append('"').Append(ExpandSilently(ctx, EnvReferences.Restore(s.Value ?? string.Empty)).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                    break;
                case YamlSequenceNode seq:
                    sb.Append('[');
                    foreach (var child in seq.Children)
                    {
                        Write(child);
                        sb.Append(',');
                    }

                    sb.Append(']');
                    break;
                case YamlMappingNode m:
                    sb.Append('{');
                    foreach (var (k, v) in m.Children.OrderBy(c => (c.Key as YamlScalarNode)?.Value, StringComparer.Ordinal))
                    {
                        Write(k);
                        sb.Append(':');
                        Write(v);
                        sb.Append(',');
                    }

                    sb.Append('}');
                    break;
            }
        }

        foreach (var (k, v) in entries.OrderBy(c => (c.Key as YamlScalarNode)?.Value, StringComparer.Ordinal))
        {
            Write(k);
            sb.Append('=');
            Write(v);
            sb.Append(';');
        }

        return sb.ToString();
    }

    private static string ExpandSilently(ConfigContext ctx, string raw) =>
        !raw.Contains('$', StringComparison.Ordinal)
            ? raw
            : EnvReference().Replace(raw, m => m.Value == "$$" ? "$" : ctx.Environment(m.Groups[1].Value) ?? string.Empty);

    [GeneratedRegex(@"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex EnvReference();

    private static Uri? ReadUrl(YamlMap map, string key, bool required, params string[] schemes)
    {
        string? text = map.String(key, required);
        if (text is null)
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme) && uri.Host.Length > 0)
        {
            return uri;
        }

        map.Context.Error(map.Get(key)!.Start, $"{map.Field(key)}: invalid URL \"{text}\" (expected an absolute {string.Join(" or ", schemes)} URL)");
        return null;
    }

    private static HttpCheckOptions? ReadHttp(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var ctx = map.Context;
        var url = ReadUrl(map, "url", required: true, "http", "https");
        string method = map.String("method") ?? "GET";
        if (!HttpMethods.Contains(method))
        {
            ctx.Error(map.Get("method")!.Start, $"{map.Field("method")}: unsupported method \"{method}\" (one of {string.Join(", ", HttpMethods)})");
        }

        var headers = map.StringMap("headers", n => n.Length > 0 && n.All(c => c > ' ' && c < 127 && c != ':'), "header names are visible ASCII without ':'") ?? [];
        foreach (var (headerName, value) in headers)
        {
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                ctx.Error(map.Get("headers")!.Start, $"{map.Field("headers")}.{headerName}: header values must not contain line breaks");
            }
        }

        string? body = map.String("body");
        bool follow = map.Bool("follow_redirects") ?? true;
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        var expect = ReadExpect(map.Map("expect"));
        map.Finish();
        return url is null || expect is null ? null : new HttpCheckOptions
        {
            Url = url,
            Method = method,
            Headers = headers,
            Body = body,
            FollowRedirects = follow,
            InsecureSkipVerify = insecure,
            Expect = expect,
        };
    }

    private static HttpExpectOptions? ReadExpect(YamlMap? map)
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
        map.Finish();
        return ok ? new HttpExpectOptions
        {
            Status = status,
            BodyJson = bodyJson,
            BodyContains = contains,
            MaxResponseTime = maxResponse,
            MinCertDays = (int?)minCertDays,
        } : null;
    }

    private static TcpCheckOptions? ReadTcp(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        string? address = map.String("address", required: true);
        bool tls = map.Bool("tls") ?? false;
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        map.Finish();
        if (address is null)
        {
            return null;
        }

        int colon = address.LastIndexOf(':');
        string host = colon > 0 ? address[..colon].Trim('[', ']') : string.Empty;
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            map.Context.Error(map.Get("address")!.Start, $"{map.Field("address")}: invalid address \"{address}\" (expected host:port, e.g. postgres:5432)");
            return null;
        }

        return new TcpCheckOptions { Address = address, Host = host, Port = port, Tls = tls, InsecureSkipVerify = insecure };
    }

    private static PostgresCheckOptions? ReadPostgres(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var dsn = map.Secret("dsn", required: true);
        bool statements = map.Bool("statements") ?? false;
        var databases = map.Strings("databases") ?? [];
        map.Finish();
        return dsn is null ? null : new PostgresCheckOptions { Dsn = dsn, Statements = statements, Databases = databases };
    }

    private static NvidiaSmiCheckOptions? ReadNvidiaSmi(YamlMap? map)
    {
        if (map is null)
        {
            return new NvidiaSmiCheckOptions();
        }

        string? path = map.String("path");
        map.Finish();
        return path is { Length: > 0 } ? new NvidiaSmiCheckOptions { Path = path } : new NvidiaSmiCheckOptions();
    }

    private static Regex? ReadRegex(YamlMap map, string key)
    {
        string? text = map.String(key);
        if (text is null)
        {
            return null;
        }

        try
        {
            // Anchored like Prometheus' relabel regexes.
            return new Regex($"^(?:{text})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            map.Context.Error(map.Get(key)!.Start, $"{map.Field(key)}: invalid regular expression \"{text}\": {e.Message}");
            return null;
        }
    }

    private static ScrapeCheckOptions? ReadScrape(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var url = ReadUrl(map, "url", required: true, "http", "https");
        var keep = ReadRegex(map, "keep");
        var drop = ReadRegex(map, "drop");
        var headers = map.StringMap("headers") ?? [];
        var token = map.Secret("bearer_token");
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        map.Finish();
        return url is null ? null : new ScrapeCheckOptions { Url = url, Keep = keep, Drop = drop, Headers = headers, BearerToken = token, InsecureSkipVerify = insecure };
    }

    private static DiskCheckOptions? ReadDisk(YamlMap? map)
    {
        if (map is null)
        {
            return new DiskCheckOptions();
        }

        var mountpoints = map.Strings("mountpoints") ?? [];
        foreach (var (node, path) in map.Sequence("mountpoints") ?? [])
        {
            if (node is YamlScalarNode { Value: { } v } && !v.StartsWith('/'))
            {
                map.Context.Error(node.Start, $"{path}: mount points are absolute paths, got \"{v}\"");
            }
        }

        var result = new DiskCheckOptions { Mountpoints = mountpoints };
        if (ReadRegex(map, "exclude_mountpoints") is { } em)
        {
            result = result with { ExcludeMountpoints = em };
        }

        if (ReadRegex(map, "exclude_fstypes") is { } ef)
        {
            result = result with { ExcludeFsTypes = ef };
        }

        map.Finish();
        return result;
    }

    private static KubernetesCheckOptions? ReadKubernetes(YamlMap? map)
    {
        if (map is null)
        {
            return new KubernetesCheckOptions();
        }

        var namespaces = map.Strings("namespaces") ?? [];
        string? kubeconfig = map.String("kubeconfig");
        bool discovery = map.Bool("discovery") ?? true;
        map.Finish();
        return new KubernetesCheckOptions
        {
            Namespaces = namespaces,
            Kubeconfig = kubeconfig is null ? null : map.Context.ResolvePath(kubeconfig),
            Discovery = discovery,
        };
    }
}
