using System.Text;
using System.Text.RegularExpressions;

namespace Monitor.Checks.FileStat;

/// <summary>
/// An absolute path whose segments may hold Go's <c>filepath.Match</c> wildcards (<c>*</c>, <c>?</c>,
/// <c>[abc]</c>, <c>[a-z]</c>, <c>[!x]</c>/<c>[^x]</c>, <c>\</c> escapes), as filestat_exporter's globs. A
/// wildcard never crosses a <c>/</c>; there is no <c>**</c>. Dot files match <c>*</c>, as in Go.
/// </summary>
internal sealed class FileGlob
{
    private readonly string _root;
    private readonly List<(string Literal, Regex? Pattern)> _segments;

    private FileGlob(string pattern, string root, List<(string, Regex?)> segments)
    {
        Pattern = pattern;
        _root = root;
        _segments = segments;
    }

    public string Pattern { get; }

    /// <summary>Parses an absolute glob; null with <paramref name="error"/> when it is not one.</summary>
    public static FileGlob? Parse(string pattern, out string? error)
    {
        error = null;
        if (!pattern.StartsWith('/'))
        {
            error = "must be an absolute path";
            return null;
        }

        var segments = new List<(string, Regex?)>();
        foreach (string segment in pattern.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment.IndexOfAny(['*', '?', '[', '\\']) < 0)
            {
                segments.Add((segment, null));
                continue;
            }

            var regex = ToRegex(segment, out error);
            if (regex is null)
            {
                return null;
            }

            segments.Add((segment, regex));
        }

        if (segments.Count == 0)
        {
            error = "names no file";
            return null;
        }

        // The literal directories before the first wildcard are where enumeration starts.
        int first = segments.FindIndex(s => s.Item2 is not null);
        int literal = first < 0 ? segments.Count - 1 : first;
        string root = "/" + string.Join('/', segments.Take(literal).Select(s => s.Item1));
        return new FileGlob(pattern, root, segments.Skip(literal).ToList());
    }

    public static bool HasWildcard(string pattern) => pattern.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>The regular files (symbolic links followed) that match; errors reading a directory go to <paramref name="errors"/>.</summary>
    public List<FileMatch> Match(List<string> errors)
    {
        var found = new List<FileMatch>();
        Walk(_root, 0, found, errors);
        return found;
    }

    private void Walk(string directory, int index, List<FileMatch> found, List<string> errors)
    {
        var (literal, pattern) = _segments[index];
        bool last = index == _segments.Count - 1;
        IEnumerable<string> candidates;
        if (pattern is null)
        {
            candidates = [Path.Combine(directory, literal)];
        }
        else
        {
            try
            {
                candidates = Directory.EnumerateFileSystemEntries(directory, "*", new EnumerationOptions { IgnoreInaccessible = false, AttributesToSkip = 0, RecurseSubdirectories = false, MatchType = MatchType.Simple })
                    .Where(p => pattern.IsMatch(Path.GetFileName(p)))
                    .Order(StringComparer.Ordinal)
                    .ToList();
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"reading {directory}: {e.Message}");
                return;
            }
        }

        foreach (string candidate in candidates)
        {
            if (last)
            {
                if (Stat(candidate) is { } match)
                {
                    found.Add(match);
                }
            }
            else if (Directory.Exists(candidate))
            {
                Walk(candidate, index + 1, found, errors);
            }
        }
    }

    /// <summary>A regular file, or a link to one: the name it was found under, the target's size and time.</summary>
    private static FileMatch? Stat(string path)
    {
        try
        {
            FileSystemInfo info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
                info.Refresh();
            }

            return info is FileInfo { Exists: true } file && (file.Attributes & FileAttributes.Directory) == 0
                ? new FileMatch(path, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero))
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // a dangling or looping link, or a file gone since the listing: no match
        }
    }

    private static Regex? ToRegex(string segment, out string? error)
    {
        error = null;
        var sb = new StringBuilder("^");
        for (int i = 0; i < segment.Length; i++)
        {
            char c = segment[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '\\':
                    if (++i >= segment.Length)
                    {
                        error = "ends with an unfinished escape \\";
                        return null;
                    }

                    sb.Append(Regex.Escape(segment[i].ToString()));
                    break;
                case '[':
                    int close = segment.IndexOf(']', i + 2 <= segment.Length ? i + 2 : i + 1);
                    if (close < 0)
                    {
                        error = $"unclosed character class in \"{segment}\"";
                        return null;
                    }

                    string body = segment[(i + 1)..close];
                    bool negate = body.StartsWith('!') || body.StartsWith('^');
                    if (negate)
                    {
                        body = body[1..];
                    }

                    if (body.Length == 0)
                    {
                        error = $"empty character class in \"{segment}\"";
                        return null;
                    }

                    sb.Append('[').Append(negate ? "^" : string.Empty).Append(body.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        try
        {
            return Monitor.Configuration.SafeRegex.Create(sb.Append('$').ToString(), options: RegexOptions.Singleline);
        }
        catch (ArgumentException e)
        {
            error = $"invalid pattern \"{segment}\": {e.Message}";
            return null;
        }
    }
}

/// <summary>One matching file: its path as matched, its size and modification time (a link's target's).</summary>
internal sealed record FileMatch(string Path, long Size, DateTimeOffset Modified);
