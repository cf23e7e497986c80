using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitor.Configuration;

/// <summary>
/// Reads one YAML mapping of the configuration. Every accessor records the key as known, so
/// <see cref="Finish"/> can reject the unknown ones; every problem becomes an error at the node's position
/// and reading goes on, so one run reports all errors of a file, not just the first.
/// </summary>
internal sealed class YamlMap
{
    private readonly ConfigContext _ctx;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>Where each key merged in by <c>&lt;&lt;</c> was merged, for errors about it.</summary>
    private readonly Dictionary<string, Mark> _mergedAt = new(StringComparer.Ordinal);

    private YamlMap(ConfigContext ctx, YamlMappingNode node, string path)
    {
        _ctx = ctx;
        Node = node;
        Path = path;
        var merges = new List<(YamlScalarNode Key, YamlNode Value)>();
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode scalarKey || scalarKey.Value is null)
            {
                ctx.Error(key.Start, $"{path}: keys must be plain strings");
                continue;
            }

            if (IsMergeKey(scalarKey))
            {
                merges.Add((scalarKey, value));
                continue;
            }

            if (!_entries.TryAdd(scalarKey.Value, (scalarKey, value)))
            {
                ctx.Error(key.Start, $"{Join(path, scalarKey.Value)}: duplicate key");
            }
        }

        foreach (var (mergeKey, value) in merges)
        {
            Merge(mergeKey, value, 0);
        }
    }

    /// <summary>A plain <c>&lt;&lt;</c> key is YAML's merge key; a quoted one is an ordinary key.</summary>
    private static bool IsMergeKey(YamlScalarNode key) => key.Value == "<<" && key.Style is ScalarStyle.Plain or ScalarStyle.Any;

    /// <summary>
    /// YAML's merge key (<c>&lt;&lt;: *smtp</c>, or a list of aliases): the keys of the merged mapping(s) that
    /// this mapping does not set itself, the first listed winning. The merged nodes keep their own marks, so an
    /// error in them is reported in the anchored mapping, where it can be fixed.
    /// </summary>
    private void Merge(YamlScalarNode mergeKey, YamlNode value, int depth)
    {
        var sources = value switch
        {
            YamlMappingNode m => [m],
            YamlSequenceNode seq when seq.Children.All(c => c is YamlMappingNode) => seq.Children.Cast<YamlMappingNode>().ToList(),
            _ => (List<YamlMappingNode>?)null,
        };
        if (sources is null || depth > 16)
        {
            _ctx.Error(value.Start, $"{Join(Path, "<<")}: a merge key takes a mapping or a list of mappings (an alias such as *smtp), got {Describe(value)}");
            return;
        }

        foreach (var source in sources)
        {
            var nested = new List<(YamlScalarNode, YamlNode)>();
            foreach (var (key, v) in source.Children)
            {
                if (key is not YamlScalarNode scalarKey || scalarKey.Value is null)
                {
                    continue; // reported where the anchored mapping itself is read
                }

                if (IsMergeKey(scalarKey))
                {
                    nested.Add((scalarKey, v));
                }
                else if (_entries.TryAdd(scalarKey.Value, (scalarKey, v)))
                {
                    _mergedAt[scalarKey.Value] = mergeKey.Start;
                }
            }

            foreach (var (k, v) in nested)
            {
                Merge(k, v, depth + 1);
            }
        }
    }

    public YamlMappingNode Node { get; }

    public string Path { get; }

    public Mark Start => Node.Start;

    public ConfigContext Context => _ctx;

    public IEnumerable<string> Keys => _entries.Keys;

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>Wraps <paramref name="node"/>; null (with an error unless the node is absent or null) when it is not a mapping.</summary>
    public static YamlMap? From(ConfigContext ctx, YamlNode? node, string path)
    {
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is YamlMappingNode mapping)
        {
            return new YamlMap(ctx, mapping, path);
        }

        ctx.Error(node.Start, $"{path}: expected a mapping, got {Describe(node)}");
        return null;
    }

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"\"{EnvReferences.Restore(s.Value ?? string.Empty)}\"",
        _ => "an alias",
    };

    public string Field(string key) => Join(Path, key);

    public bool Has(string key)
    {
        _known.Add(key);
        return _entries.TryGetValue(key, out var e) && !IsNull(e.Value);
    }

    /// <summary>The value node of <paramref name="key"/>, or null when absent or YAML null.</summary>
    public YamlNode? Get(string key, bool required = false)
    {
        _known.Add(key);
        if (_entries.TryGetValue(key, out var entry) && !IsNull(entry.Value))
        {
            return entry.Value;
        }

        if (required)
        {
            _ctx.Error(entry.Key?.Start ?? Start, $"{Field(key)}: required");
        }

        return null;
    }

    public Mark KeyMark(string key) => _entries.TryGetValue(key, out var e) ? e.Key.Start : Start;

    /// <summary>A scalar as text, with <c>${VAR}</c> replaced from the environment and <c>$$</c> unescaped.</summary>
    public string? String(string key, bool required = false)
    {
        var node = Get(key, required);
        return node is null ? null : Scalar(node, Field(key));
    }

    public string? Scalar(YamlNode node, string field)
    {
        if (node is not YamlScalarNode scalar)
        {
            _ctx.Error(node.Start, $"{field}: expected a single value, got {Describe(node)}");
            return null;
        }

        string raw = EnvReferences.Restore(scalar.Value ?? string.Empty);
        return _ctx.ExpandVariables ? Expand(raw, scalar.Start, field) : raw;
    }

    private string? Expand(string raw, Mark mark, string field)
    {
        if (!raw.Contains('$', StringComparison.Ordinal))
        {
            return raw;
        }

        var sb = new StringBuilder(raw.Length);
        bool ok = true;
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c != '$' || i + 1 >= raw.Length)
            {
                sb.Append(c);
                continue;
            }

            if (raw[i + 1] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }

            if (raw[i + 1] != '{')
            {
                sb.Append(c);
                continue;
            }

            int close = raw.IndexOf('}', i + 2);
            string name = close < 0 ? string.Empty : raw[(i + 2)..close];
            if (close < 0 || !IsEnvName(name))
            {
                _ctx.Error(mark, $"{field}: malformed variable reference \"{(close < 0 ? raw[i..] : raw[i..(close + 1)])}\" (use ${{NAME}}, or $$ for a literal $)");
                ok = false;
                i = close < 0 ? raw.Length : close;
                continue;
            }

            string? value = _ctx.Environment(name);
            if (value is null)
            {
                _ctx.Error(mark, $"{field}: environment variable {name} is not set");
                ok = false;
            }
            else
            {
                sb.Append(value);
            }

            i = close;
        }

        return ok ? sb.ToString() : null;
    }

    private static bool IsEnvName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');

    public TimeSpan? Duration(string key, bool required = false, bool allowZero = false, TimeSpan? max = null)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }

        string? text = Scalar(node, Field(key));
        if (text is null)
        {
            return null;
        }

        if (!PromDuration.TryParse(text, out var duration))
        {
            _ctx.Error(node.Start, $"{Field(key)}: invalid duration \"{text}\" (use e.g. 500ms, 30s, 5m, 1h, 2d, 1w)");
            return null;
        }

        if (duration == TimeSpan.Zero && !allowZero)
        {
            _ctx.Error(node.Start, $"{Field(key)}: must be greater than 0");
            return null;
        }

        var limit = max ?? PromDuration.MaxConfig;
        if (duration > limit)
        {
            _ctx.Error(node.Start, $"{Field(key)}: duration \"{text}\" is longer than the maximum {PromDuration.Format(limit)}");
            return null;
        }

        return duration;
    }

    public long? Integer(string key, long min, long max, bool required = false)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }

        return IntegerOf(node, Field(key), min, max);
    }

    /// <summary>
    /// A size in bytes as Prometheus writes one (<c>body_size_limit: 10MB</c>): a whole number with <c>B</c>,
    /// <c>KB</c>/<c>KiB</c>, <c>MB</c>/<c>MiB</c>, <c>GB</c>/<c>GiB</c> (all powers of 1024, as in Prometheus) or none.
    /// </summary>
    public long? ByteSize(string key, long min, long max)
    {
        var node = Get(key, required: false);
        if (node is null)
        {
            return null;
        }

        string? text = Scalar(node, Field(key));
        if (text is null)
        {
            return null;
        }

        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        int shift = text[digits..] switch
        {
            "" or "B" => 0,
            "KB" or "KiB" => 10,
            "MB" or "MiB" => 20,
            "GB" or "GiB" => 30,
            _ => -1,
        };
        if (digits == 0 || digits > 12 || shift < 0)
        {
            _ctx.Error(node.Start, $"{Field(key)}: invalid size \"{text}\" (use e.g. 512KiB, 16MiB, 1GiB)");
            return null;
        }

        long value = long.Parse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture) << shift;
        if (value < min || value > max)
        {
            _ctx.Error(node.Start, $"{Field(key)}: \"{text}\" is out of range ({min}-{max} bytes)");
            return null;
        }

        return value;
    }

    public long? IntegerOf(YamlNode node, string field, long min, long max)
    {
        string? text = Scalar(node, field);
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            _ctx.Error(node.Start, $"{field}: expected an integer, got \"{text}\"");
            return null;
        }

        if (value < min || value > max)
        {
            _ctx.Error(node.Start, $"{field}: {value} is out of range ({min}-{max})");
            return null;
        }

        return value;
    }

    public bool? Bool(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }

        string? text = Scalar(node, Field(key));
        switch (text)
        {
            case null: return null;
            case "true" or "True" or "TRUE": return true;
            case "false" or "False" or "FALSE": return false;
            default:
                _ctx.Error(node.Start, $"{Field(key)}: expected true or false, got \"{text}\"");
                return null;
        }
    }

    public YamlMap? Map(string key, bool required = false) => From(_ctx, Get(key, required), Field(key));

    /// <summary>The items of a list, each with its path (<c>checks[3]</c>).</summary>
    public List<(YamlNode Node, string Path)>? Sequence(string key, bool required = false)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }

        if (node is not YamlSequenceNode sequence)
        {
            _ctx.Error(node.Start, $"{Field(key)}: expected a list, got {Describe(node)}");
            return null;
        }

        var items = new List<(YamlNode, string)>(sequence.Children.Count);
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            items.Add((sequence.Children[i], $"{Field(key)}[{i}]"));
        }

        return items;
    }

    public List<string>? Strings(string key, bool required = false, bool allowEmpty = true)
    {
        var items = Sequence(key, required);
        if (items is null)
        {
            return null;
        }

        var result = new List<string>(items.Count);
        foreach (var (node, path) in items)
        {
            string? text = Scalar(node, path);
            if (text is not null)
            {
                result.Add(text);
            }
        }

        if (!allowEmpty && items.Count == 0)
        {
            _ctx.Error(KeyMark(key), $"{Field(key)}: must not be empty");
        }

        return result;
    }

    /// <summary>A mapping of string to string (labels, headers, matchers), keys in file order.</summary>
    public Dictionary<string, string>? StringMap(string key, Func<string, bool>? validName = null, string? nameRule = null)
    {
        var map = Map(key);
        if (map is null)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, (keyNode, valueNode)) in map._entries)
        {
            map._known.Add(k);
            if (validName is not null && !validName(k))
            {
                _ctx.Error(keyNode.Start, $"{map.Field(k)}: invalid name \"{k}\"{(nameRule is null ? string.Empty : $" ({nameRule})")}");
                continue;
            }

            string? value = IsNull(valueNode) ? string.Empty : map.Scalar(valueNode, map.Field(k));
            if (value is not null)
            {
                result[k] = value;
            }
        }

        return result;
    }

    /// <summary>
    /// A secret given inline (usually as <c>${VAR}</c>) or as <c>KEY_file: PATH</c>. Error messages name the
    /// field and the file, never the value.
    /// </summary>
    public Secret? Secret(string key, bool required = false)
    {
        string fileKey = key + "_file";
        bool inline = Has(key);
        bool fromFile = Has(fileKey);
        if (inline && fromFile)
        {
            _ctx.Error(KeyMark(fileKey), $"{Field(fileKey)}: give either {key} or {fileKey}, not both");
            return null;
        }

        if (fromFile)
        {
            string? path = String(fileKey);
            if (path is null)
            {
                return null;
            }

            string full = _ctx.ResolvePath(path);
            try
            {
                return new Secret(_ctx.ReadFile(full).TrimEnd('\r', '\n'));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _ctx.Error(Get(fileKey)!.Start, $"{Field(fileKey)}: cannot read secret file \"{path}\": {e.Message}");
                return null;
            }
        }

        if (!inline)
        {
            if (required)
            {
                _ctx.Error(Start, $"{Field(key)}: required (or {fileKey})");
            }

            return null;
        }

        string? value = String(key);
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0 && required)
        {
            _ctx.Error(Get(key)!.Start, $"{Field(key)}: must not be empty");
            return null;
        }

        return new Secret(value);
    }

    /// <summary>An absolute URL with one of <paramref name="schemes"/> and a host.</summary>
    public Uri? Url(string key, bool required, params string[] schemes)
    {
        string? text = String(key, required);
        if (text is null)
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme) && uri.Host.Length > 0)
        {
            return uri;
        }

        _ctx.Error(Get(key)!.Start, $"{Field(key)}: invalid URL \"{text}\" (expected an absolute {string.Join(" or ", schemes)} URL)");
        return null;
    }

    /// <summary>
    /// A regular expression, fully anchored like Prometheus' relabel regexes, built by <see cref="SafeRegex"/>;
    /// <paramref name="linearOnly"/> where a backtracking fallback (and so a match timeout) is not acceptable.
    /// </summary>
    public System.Text.RegularExpressions.Regex? AnchoredRegex(string key, bool linearOnly = false)
    {
        string? text = String(key);
        if (text is null)
        {
            return null;
        }

        try
        {
            return SafeRegex.Anchored(text, linearOnly);
        }
        catch (ArgumentException e)
        {
            _ctx.Error(Get(key)!.Start, $"{Field(key)}: invalid regular expression \"{text}\": {e.Message}");
            return null;
        }
    }

    /// <summary>Reports every key that no accessor asked for, with the keys that are allowed here.</summary>
    public void Finish()
    {
        foreach (var (key, (keyNode, _)) in _entries)
        {
            if (!_known.Contains(key))
            {
                string allowed = string.Join(", ", _known.Where(k => !k.EndsWith("_file", StringComparison.Ordinal) || !_known.Contains(k[..^5])).Order(StringComparer.Ordinal));
                string merged = _mergedAt.TryGetValue(key, out var at) ? $", merged in by \"<<\" at line {at.Line}" : string.Empty;
                _ctx.Error(keyNode.Start, $"{Path switch { "" => "top level", var p => p }}: unknown key \"{key}\"{merged}{(allowed.Length > 0 ? $" (allowed: {allowed})" : string.Empty)}");
            }
        }
    }
}
