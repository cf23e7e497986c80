using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Monitor.Configuration;

internal static partial class ConfigLoader
{
    /// <summary>A list of receiver names, each of which must exist.</summary>
    private static List<string>? ReceiverList(YamlMap map, string key, HashSet<string> receivers, bool required)
    {
        var items = map.Sequence(key, required);
        if (items is null)
        {
            return null;
        }

        var names = new List<string>();
        foreach (var (node, path) in items)
        {
            string? name = map.Scalar(node, path);
            if (name is null)
            {
                continue;
            }

            if (!receivers.Contains(name))
            {
                map.Context.Error(node.Start, $"{path}: unknown receiver \"{name}\"{(receivers.Count == 0 ? " (no receivers are configured)" : $" (configured: {string.Join(", ", receivers.Order(StringComparer.Ordinal))})")}");
                continue;
            }

            names.Add(name);
        }

        return names;
    }

    /// <summary>
    /// <c>severities.levels</c>: the team's own levels, most urgent first, each a name or <c>{name, aliases}</c>;
    /// without it P1–P4 with critical/error/warning/info. <c>severities.unknown_as</c> names the level given to an
    /// alert no check-config saw whose severity names no level (default: P3 for P1–P4, else the least urgent).
    /// </summary>
    private static SeverityLevels ReadSeverityLevels(YamlMap root)
    {
        var map = root.Map("severities");
        if (map is null || map.Sequence("levels") is not { } items)
        {
            if (map?.Get("unknown_as") is { } node)
            {
                string? name = map.String("unknown_as");
                if (name is not null && !SeverityLevels.BuiltIn.TryParse(name, out _))
                {
                    map.Context.Error(node.Start, $"{map.Field("unknown_as")}: \"{name}\" is no severity level (levels: {SeverityLevels.BuiltIn.Describe()})");
                }
                else if (name is not null && SeverityLevels.BuiltIn.TryParse(name, out var chosen) && chosen != SeverityLevels.BuiltIn.Unknown)
                {
                    return new SeverityLevels([.. SeverityLevels.BuiltIn.All.Select(s => (s.Name, BuiltInAliases(s)))], chosen.Name);
                }
            }

            return SeverityLevels.BuiltIn;
        }

        var levels = new List<(string Name, IReadOnlyList<string> Aliases)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (node, path) in items)
        {
            string? name;
            var aliases = new List<string>();
            var nameNode = node;
            if (node is YamlMappingNode)
            {
                var levelMap = YamlMap.From(map.Context, node, path)!;
                name = levelMap.String("name", required: true);
                nameNode = levelMap.Get("name") ?? node;
                foreach (var (aliasNode, aliasPath) in levelMap.Sequence("aliases") ?? [])
                {
                    if (levelMap.Scalar(aliasNode, aliasPath) is { } alias)
                    {
                        if (!seen.Add(alias))
                        {
                            map.Context.Error(aliasNode.Start, $"{aliasPath}: \"{alias}\" already names a severity level");
                            continue;
                        }

                        aliases.Add(alias);
                    }
                }

                levelMap.Finish();
            }
            else
            {
                name = map.Scalar(node, path);
            }

            if (name is null)
            {
                continue;
            }

            if (!Names.IsLabelName(name) || name is "levels" or "unknown_as")
            {
                map.Context.Error(nameNode.Start, $"{path}: invalid severity name \"{name}\" ({Names.LabelNameRule}; not levels or unknown_as)");
                continue;
            }

            if (!seen.Add(name))
            {
                map.Context.Error(nameNode.Start, $"{path}: \"{name}\" already names a severity level");
                continue;
            }

            levels.Add((name, aliases));
        }

        if (levels.Count == 0)
        {
            map.Context.Error(map.Get("levels")!.Start, $"{map.Field("levels")}: needs at least one level");
            return SeverityLevels.BuiltIn;
        }

        string? unknownAs = map.String("unknown_as");
        if (unknownAs is not null && !levels.Any(l => string.Equals(l.Name, unknownAs, StringComparison.OrdinalIgnoreCase) || l.Aliases.Contains(unknownAs, StringComparer.OrdinalIgnoreCase)))
        {
            map.Context.Error(map.Get("unknown_as")!.Start, $"{map.Field("unknown_as")}: \"{unknownAs}\" is no severity level (levels: {string.Join(", ", levels.Select(l => l.Name))})");
            unknownAs = null;
        }

        return new SeverityLevels(levels, unknownAs);
    }

    private static IReadOnlyList<string> BuiltInAliases(Severity severity) => severity.Rank switch
    {
        1 => ["critical"],
        2 => ["error"],
        3 => ["warning"],
        _ => ["info"],
    };

    private static Dictionary<Severity, SeverityPolicy> ReadSeverities(YamlMap root, HashSet<string> receivers, SeverityLevels levels)
    {
        var result = SeverityPolicy.Defaults(receivers, levels);
        var map = root.Map("severities");
        if (map is null)
        {
            return result;
        }

        map.Has("levels");
        map.Has("unknown_as");
        foreach (var severity in levels.All)
        {
            var policyMap = map.Map(severity.Name);
            if (policyMap is null)
            {
                continue;
            }

            var current = result[severity];
            var notify = ReceiverList(policyMap, "notify", receivers, required: false);
            string? fallback = policyMap.String("fallback");
            if (fallback is not null && !receivers.Contains(fallback))
            {
                policyMap.Context.Error(policyMap.Get("fallback")!.Start, $"{policyMap.Field("fallback")}: unknown receiver \"{fallback}\"");
                fallback = null;
            }

            var resolveWithin = current.ResolveWithin;
            if (policyMap.Get("resolve_within") is YamlScalarNode { Value: "off" })
            {
                resolveWithin = null;
            }
            else if (policyMap.Duration("resolve_within") is { } within)
            {
                resolveWithin = within;
            }

            result[severity] = current with
            {
                AckWithin = policyMap.Duration("ack_within") ?? current.AckWithin,
                ResolveWithin = resolveWithin,
                Repeat = policyMap.Duration("repeat") ?? current.Repeat,
                Notify = notify ?? current.Notify,
                Fallback = fallback,
            };
            policyMap.Finish();
        }

        map.Finish(); // a key naming no level: "unknown key", with the levels allowed
        return result;
    }

    /// <summary>
    /// An escalation chain: steps in increasing order of <c>after</c>, from the earliest unacknowledged alert's
    /// firing; <c>after: 0s</c> is "immediately".
    /// </summary>
    private static List<EscalationStep> ReadSteps(YamlMap map, List<(YamlNode Node, string Path)> items, HashSet<string> receivers)
    {
        var steps = new List<EscalationStep>();
        foreach (var (node, path) in items)
        {
            var stepMap = YamlMap.From(map.Context, node, path);
            if (stepMap is null)
            {
                continue;
            }

            var after = stepMap.Duration("after", required: true, allowZero: true);
            var notify = ReceiverList(stepMap, "notify", receivers, required: true);
            if (after is not null && steps.Count > 0 && after <= steps[^1].After)
            {
                map.Context.Error(stepMap.Get("after")!.Start, $"{stepMap.Field("after")}: steps must be in increasing order of after ({PromDuration.Format(after.Value)} follows {PromDuration.Format(steps[^1].After)})");
            }

            stepMap.Finish();
            if (after is not null && notify is not null)
            {
                steps.Add(new EscalationStep(after.Value, notify));
            }
        }

        return steps;
    }

    private static Dictionary<Severity, IReadOnlyList<EscalationStep>> ReadEscalation(YamlMap root, HashSet<string> receivers, SeverityLevels levels)
    {
        var result = new Dictionary<Severity, IReadOnlyList<EscalationStep>>();
        var map = root.Map("escalation");
        if (map is null)
        {
            return result;
        }

        foreach (var severity in levels.All)
        {
            if (map.Sequence(severity.Name) is { } items)
            {
                result[severity] = ReadSteps(map, items, receivers);
            }
        }

        map.Finish(); // a key naming no level: "unknown key", with the levels allowed
        return result;
    }

    private static RoutingOptions ReadRouting(YamlMap? map, HashSet<string> receivers)
    {
        var result = new RoutingOptions();
        if (map is null)
        {
            return result;
        }

        var groupBy = map.Strings("group_by");
        foreach (var (node, path) in map.Sequence("group_by") ?? [])
        {
            if (node is YamlScalarNode { Value: { } v } && v != "..." && !Names.IsLabelName(v))
            {
                map.Context.Error(node.Start, $"{path}: invalid label name \"{v}\"");
            }
        }

        var routes = new List<RouteOptions>();
        foreach (var (node, path) in map.Sequence("routes") ?? [])
        {
            var routeMap = YamlMap.From(map.Context, node, path);
            if (routeMap is null)
            {
                continue;
            }

            var match = routeMap.StringMap("match", Names.IsLabelName, Names.LabelNameRule) ?? [];
            var matchRe = new Dictionary<string, Regex>(StringComparer.Ordinal);
            if (routeMap.Map("match_re") is { } reMap)
            {
                foreach (string label in reMap.Keys)
                {
                    if (!Names.IsLabelName(label))
                    {
                        map.Context.Error(reMap.KeyMark(label), $"{reMap.Field(label)}: invalid label name \"{label}\"");
                        reMap.Has(label);
                        continue;
                    }

                    if (reMap.AnchoredRegex(label) is { } regex)
                    {
                        matchRe[label] = regex;
                    }
                }

                reMap.Finish();
            }

            var notify = ReceiverList(routeMap, "notify", receivers, required: true);
            if (match.Count == 0 && matchRe.Count == 0)
            {
                map.Context.Error(routeMap.Start, $"{path}: a route needs match or match_re");
            }

            routeMap.Finish();
            if (notify is not null)
            {
                routes.Add(new RouteOptions { Match = match, MatchRe = matchRe, Notify = notify });
            }
        }

        result = result with
        {
            GroupBy = groupBy ?? result.GroupBy,
            GroupWait = map.Duration("group_wait", allowZero: true) ?? result.GroupWait,
            GroupInterval = map.Duration("group_interval") ?? result.GroupInterval,
            Routes = routes,
        };
        map.Finish();
        return result;
    }

    private static List<InhibitRule> ReadInhibit(YamlMap root)
    {
        var result = new List<InhibitRule>();
        foreach (var (node, path) in root.Sequence("inhibit") ?? [])
        {
            var map = YamlMap.From(root.Context, node, path);
            if (map is null)
            {
                continue;
            }

            var source = map.StringMap("source", Names.IsLabelName, Names.LabelNameRule);
            var target = map.StringMap("target", Names.IsLabelName, Names.LabelNameRule);
            var equal = map.Strings("equal") ?? [];
            if (source is null || source.Count == 0)
            {
                map.Context.Error(map.Start, $"{path}.source: required (labels the inhibiting alert has)");
            }

            if (target is null || target.Count == 0)
            {
                map.Context.Error(map.Start, $"{path}.target: required (labels the inhibited alert has)");
            }

            foreach (string label in equal.Where(l => !Names.IsLabelName(l)))
            {
                map.Context.Error(map.Get("equal")!.Start, $"{path}.equal: invalid label name \"{label}\"");
            }

            map.Finish();
            if (source is { Count: > 0 } && target is { Count: > 0 })
            {
                result.Add(new InhibitRule(source, target, equal));
            }
        }

        return result;
    }

    private static (CronSchedule? Cron, TimeZoneInfo? Zone) ReadCronAndZone(YamlMap map)
    {
        CronSchedule? cron = null;
        if (map.String("cron", required: true) is { } expression)
        {
            if (!CronSchedule.TryParse(expression, out cron, out string? error))
            {
                map.Context.Error(map.Get("cron")!.Start, $"{map.Field("cron")}: invalid cron expression \"{expression}\": {error}");
            }
        }

        TimeZoneInfo? zone = TimeZoneInfo.Utc;
        if (map.String("timezone") is { } zoneName)
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                map.Context.Error(map.Get("timezone")!.Start, $"{map.Field("timezone")}: unknown time zone \"{zoneName}\" (use an IANA name such as Asia/Seoul or UTC)");
                zone = null;
            }
        }

        return (cron, zone);
    }

    /// <summary>
    /// Reads a list of mappings that each have a unique <c>name</c>; <paramref name="readItem"/> reads the rest
    /// and returns null when the item is invalid (its errors already recorded).
    /// </summary>
    private static List<T> ReadNamedList<T>(YamlMap root, string key, string what, Func<YamlMap, string?, T?> readItem)
        where T : class
    {
        var result = new List<T>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in root.Sequence(key) ?? [])
        {
            var map = YamlMap.From(root.Context, node, path);
            if (map is null)
            {
                continue;
            }

            string? name = map.String("name", required: true);
            if (name is not null && !seen.Add(name))
            {
                map.Context.Error(map.Get("name")!.Start, $"{path}.name: duplicate {what} name \"{name}\"");
            }

            var item = readItem(map, name);
            map.Finish();
            if (item is not null && name is not null)
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static List<SilenceWindow> ReadSilences(YamlMap root) => ReadNamedList(root, "silences", "silence", (map, name) =>
    {
        var (cron, zone) = ReadCronAndZone(map);
        var duration = map.Duration("duration", required: true);
        var matchers = map.StringMap("matchers", Names.IsLabelName, Names.LabelNameRule);
        if (matchers is null || matchers.Count == 0)
        {
            map.Context.Error(map.Start, $"{map.Path}.matchers: required (a silence without matchers would mute everything)");
        }

        string? comment = map.String("comment");
        return name is not null && cron is not null && zone is not null && duration is not null && matchers is { Count: > 0 }
            ? new SilenceWindow { Name = name, Cron = cron, TimeZone = zone, Duration = duration.Value, Matchers = matchers, Comment = comment }
            : null;
    });

    private static List<ReportOptions> ReadReports(YamlMap root, HashSet<string> receivers) => ReadNamedList(root, "reports", "report", (map, name) =>
    {
        var (cron, zone) = ReadCronAndZone(map);
        var notify = ReceiverList(map, "notify", receivers, required: true);
        return name is not null && cron is not null && zone is not null && notify is not null
            ? new ReportOptions { Name = name, Cron = cron, TimeZone = zone, Notify = notify }
            : null;
    });
}
