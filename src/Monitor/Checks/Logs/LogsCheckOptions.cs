using System.Text.RegularExpressions;
using Monitor.Configuration;
using Monitor.GoCompat;

namespace Monitor.Checks.Logs;

/// <summary>One named pattern of a <c>logs</c> check: its <c>pattern</c> label and the RE2 regex it counts.</summary>
internal sealed record LogPattern(string Name, string Text, Regex Regex);

/// <summary>The <c>logs</c> section of a check.</summary>
internal sealed record LogsCheckOptions : ICheckSettings
{
    /// <summary>The longest line kept; the rest of a longer line is dropped.</summary>
    public const int DefaultMaxLineBytes = 64 * 1024;

    /// <summary>The most bytes one run reads over all files; the rest is read by the next run.</summary>
    public const long DefaultMaxBytesPerRun = 16 * 1024 * 1024;

    /// <summary>An absolute path; its last segment may be a glob (<c>*</c>, <c>?</c>).</summary>
    public required string Path { get; init; }

    /// <summary>The patterns counted, in file order.</summary>
    public required IReadOnlyList<LogPattern> Patterns { get; init; }

    /// <summary>How many of the last matching lines are kept. <value>Default 0.</value></summary>
    public int LastLines { get; init; }

    /// <summary>Where offsets are remembered. <value>Default <c>data/logs/CHECK.offsets</c> under the working directory.</value></summary>
    public string? StateFile { get; init; }

    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    public long MaxBytesPerRun { get; init; } = DefaultMaxBytesPerRun;

    public string Target => Path;

    public static LogsCheckOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        string? path = map.String("path", required: true);
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
        return path is null ? null : new LogsCheckOptions { Path = path, Patterns = patterns, LastLines = lastLines, StateFile = stateFile };
    }
}
