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
        1 => ["critical", "page"],
        2 => ["error"],
        3 => ["warning", "ticket"],
        _ => ["info", "none"],
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
    private static List<EscalationStep> ReadSteps(YamlMap map, List<(YamlNode Node, string Path)> items, HashSet<string> receivers, Dictionary<string, TimeIntervalSet> intervals)
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
            var active = TimeIntervalRefs(stepMap, "active_time_intervals", intervals);
            if (after is not null && steps.Count > 0 && after <= steps[^1].After)
            {
                map.Context.Error(stepMap.Get("after")!.Start, $"{stepMap.Field("after")}: steps must be in increasing order of after ({PromDuration.Format(after.Value)} follows {PromDuration.Format(steps[^1].After)})");
            }

            stepMap.Finish();
            if (after is not null && notify is not null)
            {
                steps.Add(new EscalationStep(after.Value, notify) { ActiveTimeIntervals = active });
            }
        }

        return steps;
    }

    private static Dictionary<Severity, IReadOnlyList<EscalationStep>> ReadEscalation(YamlMap root, HashSet<string> receivers, SeverityLevels levels, Dictionary<string, TimeIntervalSet> intervals)
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
                result[severity] = ReadSteps(map, items, receivers, intervals);
            }
        }

        map.Finish(); // a key naming no level: "unknown key", with the levels allowed
        return result;
    }

    /// <summary>
    /// <c>time_intervals</c> as Alertmanager 0.25 reads them: named lists of intervals of times, weekdays, days of
    /// month, months, years and a location; its error messages where it has one.
    /// </summary>
    private static Dictionary<string, TimeIntervalSet> ReadTimeIntervals(YamlMap root)
    {
        var list = ReadNamedList(root, "time_intervals", "time interval", (map, name) =>
        {
            var intervals = new List<TimeIntervalSpec>();
            bool ok = true;
            foreach (var (node, path) in map.Sequence("time_intervals") ?? [])
            {
                var item = YamlMap.From(map.Context, node, path);
                if (item is null)
                {
                    ok = false;
                    continue;
                }

                var spec = ReadTimeInterval(item);
                item.Finish();
                if (spec is null)
                {
                    ok = false;
                    continue;
                }

                intervals.Add(spec);
            }

            return ok && name is not null ? new TimeIntervalSet(name, intervals) : null;
        });
        return list.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    private static readonly string[] WeekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    private static readonly string[] MonthNames = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static TimeIntervalSpec? ReadTimeInterval(YamlMap map)
    {
        var ctx = map.Context;
        bool ok = true;
        List<(int, int)>? times = null;
        if (map.Sequence("times") is { } timeItems)
        {
            times = [];
            foreach (var (node, path) in timeItems)
            {
                var range = YamlMap.From(ctx, node, path);
                if (range is null)
                {
                    ok = false;
                    continue;
                }

                string? start = range.String("start_time");
                string? end = range.String("end_time");
                range.Finish();
                if (string.IsNullOrEmpty(start) || string.IsNullOrEmpty(end))
                {
                    ctx.Error(node.Start, $"{path}: both start and end times must be provided");
                    ok = false;
                    continue;
                }

                int? s = ClockMinute(start, range, "start_time");
                int? e = ClockMinute(end, range, "end_time");
                if (s is null || e is null)
                {
                    ok = false;
                    continue;
                }

                if (s >= e)
                {
                    ctx.Error(node.Start, $"{path}: start time cannot be equal or greater than end time");
                    ok = false;
                    continue;
                }

                times.Add((s.Value, e.Value));
            }
        }

        var weekdays = Ranges(map, "weekdays", text => Array.IndexOf(WeekdayNames, text) is var i and >= 0 ? i : null, text => $"{text} is not a valid weekday", (b, e, text) =>
            b > e ? "start day cannot be before end day" : b is < 0 or > 6 || e is < 0 or > 6 ? $"{text} is not a valid day of the week: out of range" : null, ref ok);
        var days = Ranges(map, "days_of_month", text => int.TryParse(text, out int n) ? n : null, text => $"strconv.Atoi: parsing \"{text}\": invalid syntax", (b, e, _) =>
            b == 0 || b < -31 || b > 31 ? $"{b} is not a valid day of the month: out of range"
            : e == 0 || e < -31 || e > 31 ? $"{e} is not a valid day of the month: out of range"
            : b < 0 && e > 0 ? "end day must be negative if start day is negative"
            : (b < 0 ? 28 + b : b) > (e < 0 ? 28 + e : e) ? $"end day {e} is always before start day {b}"
            : null, ref ok);
        var months = Ranges(map, "months", text => Array.IndexOf(MonthNames, text) is var i and >= 0 ? i + 1 : int.TryParse(text, out int n) ? n : null, text => $"{text} is not a valid month", (b, e, _) =>
            b > e ? $"end month {MonthName(e)} is before start month {MonthName(b)}" : null, ref ok);
        var years = Ranges(map, "years", text => int.TryParse(text, out int n) ? n : null, text => $"strconv.Atoi: parsing \"{text}\": invalid syntax", (b, e, _) =>
            b > e ? $"end year {e} is before start year {b}" : null, ref ok);

        var location = TimeZoneInfo.Utc;
        if (map.String("location") is { } zoneName)
        {
            try
            {
                location = zoneName == "Local" ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(zoneName);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                ctx.Error(map.Get("location")!.Start, $"{map.Field("location")}: unknown time zone {zoneName} (use an IANA name such as Asia/Seoul, UTC or Local)");
                ok = false;
            }
        }

        return ok ? new TimeIntervalSpec { Times = times, Weekdays = weekdays, DaysOfMonth = days, Months = months, Years = years, Location = location } : null;
    }

    private static string MonthName(int month) => month is >= 1 and <= 12 ? MonthNames[month - 1] : "";

    /// <summary>Alertmanager's <c>parseTime</c>: <c>HH:MM</c> from 00:00 to 24:00.</summary>
    private static int? ClockMinute(string text, YamlMap range, string key)
    {
        var match = Regex.Match(text, "^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)");
        if (!match.Success)
        {
            range.Context.Error(range.Get(key)!.Start, $"{range.Field(key)}: couldn't parse timestamp {text}, invalid format");
            return null;
        }

        return (int.Parse(text[..2], System.Globalization.CultureInfo.InvariantCulture) * 60) + int.Parse(text[3..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A list of <c>a</c> or <c>a:b</c> (lower-cased, as Alertmanager's <c>stringableRangeFromString</c>).</summary>
    private static List<(int, int)>? Ranges(YamlMap map, string key, Func<string, int?> member, Func<string, string> invalid, Func<int, int, string, string?> check, ref bool ok)
    {
        if (map.Sequence(key) is not { } items)
        {
            return null;
        }

        var result = new List<(int, int)>();
        foreach (var (node, path) in items)
        {
            if (map.Scalar(node, path) is not { } raw)
            {
                ok = false;
                continue;
            }

            string text = raw.ToLowerInvariant();
            string[] parts = text.Split(':');
            string? error = null;
            int begin = 0, end = 0;
            if (parts.Length > 2)
            {
                error = $"couldn't parse range {text}, invalid format";
            }
            else if (member(parts[0]) is not { } b)
            {
                error = invalid(parts[0]);
            }
            else if (member(parts[^1]) is not { } e)
            {
                error = invalid(parts[^1]);
            }
            else
            {
                (begin, end) = (b, e);
                error = check(begin, end, text);
            }

            if (error is not null)
            {
                map.Context.Error(node.Start, $"{path}: {error}");
                ok = false;
                continue;
            }

            result.Add((begin, end));
        }

        return result;
    }

    /// <summary>Names of <c>time_intervals</c>, each of which must exist.</summary>
    private static List<TimeIntervalSet> TimeIntervalRefs(YamlMap map, string key, Dictionary<string, TimeIntervalSet> intervals)
    {
        var result = new List<TimeIntervalSet>();
        foreach (var (node, path) in map.Sequence(key) ?? [])
        {
            if (map.Scalar(node, path) is not { } name)
            {
                continue;
            }

            if (!intervals.TryGetValue(name, out var interval))
            {
                map.Context.Error(node.Start, $"{path}: undefined time interval \"{name}\" used in route{(intervals.Count == 0 ? " (no time_intervals are configured)" : $" (configured: {string.Join(", ", intervals.Keys.Order(StringComparer.Ordinal))})")}");
                continue;
            }

            result.Add(interval);
        }

        return result;
    }

    /// <summary>A matcher's <c>severity</c> compares by meaning, so it must name a level: else it would never match.</summary>
    private static void CheckSeverityMatcher(YamlMap map, string key, Dictionary<string, string>? labels, SeverityLevels levels)
    {
        if (labels is null || !labels.TryGetValue("severity", out string? value) || levels.TryParse(value, out _))
        {
            return;
        }

        var at = map.Get(key) is YamlMappingNode node && node.Children.TryGetValue(new YamlScalarNode("severity"), out var v) ? v.Start : map.Start;
        map.Context.Error(at, $"{map.Field(key)}.severity: \"{value}\" names no severity level (levels: {levels.Describe()})");
    }

    private static RoutingOptions ReadRouting(YamlMap? map, HashSet<string> receivers, Dictionary<string, TimeIntervalSet> intervals, SeverityLevels levels)
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
            CheckSeverityMatcher(routeMap, "match", match, levels);
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

                    if (reMap.AnchoredRegex(label, linearOnly: true) is { } regex)
                    {
                        matchRe[label] = regex;
                    }
                }

                reMap.Finish();
            }

            var escalation = routeMap.Sequence("escalation") is { } stepItems ? ReadSteps(routeMap, stepItems, receivers, intervals) : null;
            var active = TimeIntervalRefs(routeMap, "active_time_intervals", intervals);
            var mute = TimeIntervalRefs(routeMap, "mute_time_intervals", intervals);
            bool ownsMore = escalation is not null || routeMap.Has("active_time_intervals") || routeMap.Has("mute_time_intervals");

            // Without escalation or time intervals, a route exists to pick receivers: notify is required.
            var notify = ReceiverList(routeMap, "notify", receivers, required: !ownsMore);
            if (match.Count == 0 && matchRe.Count == 0)
            {
                map.Context.Error(routeMap.Start, $"{path}: a route needs match or match_re");
            }

            routeMap.Finish();
            if (notify is not null || ownsMore)
            {
                routes.Add(new RouteOptions { Match = match, MatchRe = matchRe, Notify = notify, Escalation = escalation, ActiveTimeIntervals = active, MuteTimeIntervals = mute });
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

    private static List<InhibitRule> ReadInhibit(YamlMap root, SeverityLevels levels)
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
            CheckSeverityMatcher(map, "source", source, levels);
            CheckSeverityMatcher(map, "target", target, levels);
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
