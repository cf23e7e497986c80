using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Monitor.Configuration;

internal static partial class ConfigLoader
{
    private static List<CheckOptions> ReadChecks(YamlMap root, DefaultsOptions defaults, IReadOnlyList<ICheckKind> kinds)
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

            var (check, name) = ReadCheck(map, defaults, kinds);
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

    private static (CheckOptions? Check, string? Name) ReadCheck(YamlMap map, DefaultsOptions defaults, IReadOnlyList<ICheckKind> kinds)
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
        // Most checks have no labels of their own: they share one empty map rather than each holding one.
        IReadOnlyDictionary<string, string> labels = map.StringMap("labels", n => Names.IsLabelName(n) && n != "check", Names.LabelNameRule + "; \"check\" is set by Monitor")
            is { Count: > 0 } given ? given : ReadOnlyDictionary<string, string>.Empty;

        var present = kinds.Where(k => map.Has(k.Key)).ToList();
        if (present.Count != 1)
        {
            ctx.Error(map.Start, present.Count == 0
                ? $"{map.Path}: a check needs exactly one of {string.Join(", ", kinds.Select(k => k.Key))}"
                : $"{map.Path}: a check has exactly one kind, found {string.Join(" and ", present.Select(k => k.Key))}");
            foreach (var kind1 in kinds)
            {
                map.Get(kind1.Key);
            }

            map.Finish();
            return (null, name);
        }

        var kind = present[0];
        var settings = kind.Read(YamlMap.From(ctx, map.Get(kind.Key), map.Field(kind.Key)));

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
        if (name is null || settings is null)
        {
            return (null, name);
        }

        return (new CheckOptions
        {
            Name = name,
            Kind = kind,
            Settings = settings,
            Labels = labels,
            Origin = $"{ctx.File}:{map.Start.Line}:{map.Start.Column}",
            Interval = effectiveInterval,
            Timeout = effectiveTimeout,
            Fingerprint = string.Create(CultureInfo.InvariantCulture, $"{kind.Key}|{effectiveInterval.Ticks}|{effectiveTimeout.Ticks}|{Canonical(ctx, map.Node.Children.Where(c => ((YamlScalarNode)c.Key).Value is not ("interval" or "timeout" or "name")).Select(c => c))}"),
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
}
