using System.Collections.Concurrent;

namespace Monitor.Checks.Logs;

/// <summary>One kept matching line: where it was read (the series' labels), the patterns it matched, its text.</summary>
internal sealed record RecentLogLine(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Patterns, string Text);

/// <summary>
/// The last matching lines of every running <c>logs</c> check (its <c>last_lines</c>), by check name, for the
/// <c>logLines</c> template function: an alert on <c>monitor_log_lines_total</c> carries the check, pattern and
/// path or namespace/pod/container labels, and its template gets the lines that match them.
/// </summary>
internal static class RecentLogLines
{
    /// <summary>The labels that say where a line came from; an alert label of that name must match the line's.</summary>
    private static readonly string[] SourceLabels = ["path", "namespace", "pod", "container"];

    private static readonly ConcurrentDictionary<string, Func<IReadOnlyList<RecentLogLine>>> Checks = new(StringComparer.Ordinal);

    public static void Register(string check, Func<IReadOnlyList<RecentLogLine>> lines) => Checks[check] = lines;

    /// <summary>Removes the check's source, unless a newer instance of the check (a reload) has replaced it.</summary>
    public static void Unregister(string check, Func<IReadOnlyList<RecentLogLine>> lines) =>
        Checks.TryRemove(KeyValuePair.Create(check, lines));

    /// <summary>
    /// The kept lines, in the order the check read them (pod by pod within a run), of the check <paramref name="labels"/> names (<c>check</c>) that agree with
    /// its <c>pattern</c>, <c>path</c>, <c>namespace</c>, <c>pod</c> and <c>container</c> labels where it has them.
    /// </summary>
    public static IReadOnlyList<string> Matching(IReadOnlyDictionary<string, string> labels)
    {
        var found = new List<string>();
        if (!labels.TryGetValue("check", out var check) || !Checks.TryGetValue(check, out var source))
        {
            return found;
        }

        string? pattern = labels.TryGetValue("pattern", out var p) && p.Length > 0 ? p : null;
        foreach (var line in source())
        {
            if (pattern is not null && !line.Patterns.Contains(pattern, StringComparer.Ordinal))
            {
                continue;
            }

            bool agrees = true;
            foreach (string name in SourceLabels)
            {
                if (labels.TryGetValue(name, out var want) && want.Length > 0 && line.Labels.TryGetValue(name, out var have) && have != want)
                {
                    agrees = false;
                    break;
                }
            }

            if (agrees)
            {
                found.Add(line.Text);
            }
        }

        return found;
    }
}
