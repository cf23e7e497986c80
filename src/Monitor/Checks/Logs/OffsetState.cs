using System.Globalization;
using System.Text;

namespace Monitor.Checks.Logs;

/// <summary>Where reading of one file stopped: the file's identity, the offset of the first byte not yet read, and whether a cut line's rest is still being skipped.</summary>
internal sealed record SavedOffset(string Path, FileId Id, long Offset, bool SkipToNewline);

/// <summary>
/// Where reading of a container's logs stopped: the timestamp of the last line counted (nanoseconds since the
/// epoch, as the Engine API's RFC 3339 timestamps give them), how many lines with exactly that timestamp were
/// counted (the API's <c>since</c> has second resolution, so the next read sees them again), and the id of the
/// container they came from.
/// </summary>
internal sealed record LogCursor(string Container, string Id, long LastNanos, int AtLast);

/// <summary>
/// The state file of a <c>logs</c> check: one line per file, <c>device inode offset skip path</c> separated by
/// tabs (the path last, so it may hold anything but a newline). Written to a temporary file and renamed over
/// the old one, so a crash leaves either the old or the new state, never half of one.
/// </summary>
internal static class OffsetState
{
    public static Dictionary<string, SavedOffset> Load(string file)
    {
        var result = new Dictionary<string, SavedOffset>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return result;
        }

        foreach (string line in File.ReadAllLines(file))
        {
            var parts = line.Split('\t', 5);
            if (parts.Length == 5
                && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong device)
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long offset)
                && parts[3] is "0" or "1")
            {
                result[parts[4]] = new SavedOffset(parts[4], new FileId(device, inode), offset, parts[3] == "1");
            }
        }

        return result;
    }

    public static void Save(string file, IEnumerable<SavedOffset> offsets)
    {
        var text = new StringBuilder();
        foreach (var o in offsets)
        {
            if (o.Path.Contains('\n', StringComparison.Ordinal))
            {
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"{o.Id.Device}\t{o.Id.Inode}\t{o.Offset}\t{(o.SkipToNewline ? 1 : 0)}\t{o.Path}\n");
        }

        Write(file, text.ToString());
    }

    /// <summary>A container's cursor, from a line <c>docker nanos count id name</c> (which the file loader ignores, as this one ignores file lines).</summary>
    public static LogCursor? LoadCursor(string file, string container)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        foreach (string line in File.ReadAllLines(file))
        {
            var parts = line.Split('\t', 5);
            if (parts.Length == 5 && parts[0] == "docker" && parts[4] == container
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long nanos)
                && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            {
                return new LogCursor(container, parts[3], nanos, count);
            }
        }

        return null;
    }

    public static void SaveCursor(string file, LogCursor cursor) =>
        Write(file, string.Create(CultureInfo.InvariantCulture, $"docker\t{cursor.LastNanos}\t{cursor.AtLast}\t{cursor.Id}\t{cursor.Container}\n"));

    /// <summary>
    /// The cursors of a pods source, from lines <c>k8s nanos count UID/CONTAINER/RESTARTS</c>, into
    /// <paramref name="cursors"/>; true when the file says the check has run before (a <c>k8s-started</c> line).
    /// </summary>
    public static bool LoadKube(string file, Dictionary<string, LogsCheck.KubeCursor> cursors)
    {
        if (!File.Exists(file))
        {
            return false;
        }

        bool started = false;
        foreach (string line in File.ReadAllLines(file))
        {
            var parts = line.Split('\t', 4);
            if (parts.Length == 1 && parts[0] == "k8s-started")
            {
                started = true;
            }
            else if (parts.Length == 4 && parts[0] == "k8s"
                && long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long nanos)
                && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            {
                cursors[parts[3]] = new LogsCheck.KubeCursor { LastNanos = nanos, AtLast = count };
            }
        }

        return started;
    }

    public static void SaveKube(string file, bool started, IReadOnlyDictionary<string, LogsCheck.KubeCursor> cursors)
    {
        var text = new StringBuilder(started ? "k8s-started\n" : string.Empty);
        foreach (var (key, cursor) in cursors)
        {
            text.Append(CultureInfo.InvariantCulture, $"k8s\t{cursor.LastNanos}\t{cursor.AtLast}\t{key}\n");
        }

        Write(file, text.ToString());
    }

    private static void Write(string file, string text)
    {
        string? dir = Path.GetDirectoryName(file);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        string temp = file + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, file, overwrite: true);
    }
}
