using System.Globalization;
using System.Net;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitor.Configuration;

/// <summary>
/// Reads <c>monitor.yaml</c> (docs/configuration.md) into <see cref="MonitorOptions"/>. Nothing is bound by reflection: each
/// section is read by hand so that every error carries the file, line and column of the offending node,
/// unknown keys are rejected, and all errors of a file are reported together.
/// </summary>
internal static partial class ConfigLoader
{
    public static ConfigLoadResult Load(string path, ConfigSchema schema, Func<string, string?>? environment = null, Func<string, string>? readFile = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ConfigLoadResult(null, [new ConfigError(path, 0, 0, $"cannot read config file: {e.Message}")]);
        }

        return Parse(text, path, schema, environment, readFile);
    }

    public static ConfigLoadResult Parse(string text, string file, ConfigSchema schema, Func<string, string?>? environment = null, Func<string, string>? readFile = null)
    {
        var ctx = new ConfigContext(file, environment ?? System.Environment.GetEnvironmentVariable, readFile ?? File.ReadAllText);
        var stream = YamlText.Load(EnvReferences.Protect(text), file, out var yamlError, EnvReferences.Restore);
        if (stream is null)
        {
            return new ConfigLoadResult(null, [yamlError!]);
        }

        if (stream.Documents.Count > 1)
        {
            ctx.Error(stream.Documents[1].RootNode.Start, "only one YAML document is allowed");
        }

        YamlNode root = stream.Documents.Count == 0 ? new YamlMappingNode() : stream.Documents[0].RootNode;
        var options = ReadRoot(ctx, root, schema);
        return ctx.Errors.Count == 0
            ? new ConfigLoadResult(options, [])
            : new ConfigLoadResult(null, [.. ctx.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
    }

    private static MonitorOptions? ReadRoot(ConfigContext ctx, YamlNode root, ConfigSchema schema)
    {
        if (YamlMap.IsNull(root))
        {
            root = new YamlMappingNode();
        }

        var map = YamlMap.From(ctx, root, string.Empty);
        if (map is null)
        {
            return null;
        }

        var server = ReadServer(map.Map("server"));
        var storage = ReadStorage(map.Map("storage"));
        var defaults = ReadDefaults(map.Map("defaults"));
        var checks = ReadChecks(map, defaults, schema.CheckKinds);
        var ruleFiles = map.Strings("rule_files") ?? [];
        var resolvedRules = ResolveRuleFiles(ctx, map, ruleFiles);
        var evaluationInterval = map.Duration("evaluation_interval") ?? TimeSpan.FromSeconds(15);
        var externalLabels = map.StringMap("external_labels", Names.IsLabelName, Names.LabelNameRule) ?? [];
        var receivers = ReadReceivers(map, schema.ReceiverKinds);
        var receiverNames = receivers.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var levels = ReadSeverityLevels(map);
        var severities = ReadSeverities(map, receiverNames, levels);
        var timeIntervals = ReadTimeIntervals(map);
        var escalation = ReadEscalation(map, receiverNames, levels, timeIntervals);
        var routing = ReadRouting(map.Map("routing"), receiverNames, timeIntervals, levels);
        var inhibit = ReadInhibit(map, levels);
        var silences = ReadSilences(map);
        var reports = ReadReports(map, receiverNames);
        var shard = ReadShard(map);
        foreach (string key in map.Keys.Where(k => k.StartsWith("x-", StringComparison.Ordinal)).ToList())
        {
            map.Get(key); // extension fields: a place for anchors (x-smtp: &smtp ...), ignored otherwise
        }

        map.Finish();

        return new MonitorOptions
        {
            SourceFile = Path.GetFullPath(ctx.File),
            Server = server,
            Storage = storage,
            Defaults = defaults,
            Checks = checks,
            RuleFiles = ruleFiles,
            ResolvedRuleFiles = resolvedRules,
            EvaluationInterval = evaluationInterval,
            ExternalLabels = externalLabels,
            Levels = levels,
            Severities = severities,
            Escalation = escalation,
            TimeIntervals = timeIntervals,
            Routing = routing,
            Inhibit = inhibit,
            Silences = silences,
            Receivers = receivers,
            Reports = reports,
            Shard = shard,
        };
    }

    private static ServerOptions ReadServer(YamlMap? map)
    {
        if (map is null)
        {
            return new ServerOptions();
        }

        var result = new ServerOptions();
        if (map.String("listen") is { } listen)
        {
            if (TryParseListen(listen, out _, out _))
            {
                result = result with { Listen = listen };
            }
            else
            {
                map.Context.Error(map.Get("listen")!.Start, $"{map.Field("listen")}: invalid address \"{listen}\" (expected host:port, e.g. 127.0.0.1:9747 or 0.0.0.0:9747)");
            }
        }

        result = result with { ApiToken = map.Secret("api_token"), AckSecret = map.Secret("ack_secret") };
        if (map.String("external_url") is { } url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                result = result with { ExternalUrl = uri };
            }
            else
            {
                map.Context.Error(map.Get("external_url")!.Start, $"{map.Field("external_url")}: invalid URL \"{url}\" (expected an absolute http or https URL)");
            }
        }

        map.Finish();
        return result;
    }

    public static bool TryParseListen(string listen, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        int colon = listen.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            return false;
        }

        host = listen[..colon].Trim('[', ']');
        return host.Length == 0 || host == "localhost" || IPAddress.TryParse(host, out _) || Uri.CheckHostName(host) == UriHostNameType.Dns;
    }

    private static StorageOptions ReadStorage(YamlMap? map)
    {
        if (map is null)
        {
            return new StorageOptions();
        }

        string? sqlite = map.String("sqlite");
        var postgres = map.Secret("postgres");
        if (sqlite is not null && postgres is not null)
        {
            map.Context.Error(map.Start, $"{map.Path}: give either sqlite or postgres, not both");
        }

        if (sqlite is { Length: 0 })
        {
            map.Context.Error(map.Get("sqlite")!.Start, $"{map.Field("sqlite")}: must not be empty");
        }

        if (postgres is not null)
        {
            try
            {
                _ = PostgresDsn.Parse(postgres.Reveal());
            }
            catch (ArgumentException e)
            {
                map.Context.Error(map.Get("postgres")!.Start, $"{map.Field("postgres")}: {PostgresDsn.Problem(e)}");
            }
        }

        map.Finish();
        return postgres is not null ? new StorageOptions { Sqlite = null, Postgres = postgres } : new StorageOptions { Sqlite = sqlite ?? "data/monitor.db" };
    }

    private static DefaultsOptions ReadDefaults(YamlMap? map)
    {
        if (map is null)
        {
            return new DefaultsOptions();
        }

        var result = new DefaultsOptions();
        result = result with
        {
            Interval = map.Duration("interval") ?? result.Interval,
            Timeout = map.Duration("timeout") ?? result.Timeout,
            MaxConcurrency = (int)(map.Integer("max_concurrency", 1, 100_000) ?? result.MaxConcurrency),
        };
        map.Finish();
        return result;
    }

    private static List<string> ResolveRuleFiles(ConfigContext ctx, YamlMap map, List<string> patterns)
    {
        var files = new List<string>();
        var items = map.Sequence("rule_files") ?? [];
        for (int i = 0; i < patterns.Count && i < items.Count; i++)
        {
            string pattern = patterns[i];
            string full = ctx.ResolvePath(pattern);
            string directory = Path.GetDirectoryName(full) ?? ".";
            string name = Path.GetFileName(full);
            if (directory.AsSpan().IndexOfAny('*', '?', '[') >= 0)
            {
                ctx.Error(items[i].Node.Start, $"{items[i].Path}: wildcards are supported in the file name only, not in \"{directory}\"");
                continue;
            }

            if (name.AsSpan().IndexOfAny('*', '?') < 0)
            {
                // Like Prometheus: a plain path must exist, a glob may match nothing.
                if (!File.Exists(full))
                {
                    ctx.Error(items[i].Node.Start, $"{items[i].Path}: rule file \"{pattern}\" does not exist");
                }
                else
                {
                    files.Add(full);
                }

                continue;
            }

            if (Directory.Exists(directory))
            {
                files.AddRange(Directory.EnumerateFiles(directory, name, new EnumerationOptions { MatchType = MatchType.Simple }).Order(StringComparer.Ordinal));
            }
        }

        return [.. files.Distinct(StringComparer.Ordinal)];
    }

    private static ShardOptions? ReadShard(YamlMap map)
    {
        string? text = map.String("shard");
        if (text is null)
        {
            return null;
        }

        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 && index < count)
        {
            return new ShardOptions(index, count);
        }

        map.Context.Error(map.Get("shard")!.Start, $"shard: invalid value \"{text}\" (expected i/n with 0 <= i < n, e.g. 0/3)");
        return null;
    }
}
