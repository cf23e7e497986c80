namespace Monitor.Checks.Host;

/// <summary><c>/proc/sys/fs/file-nr</c>: allocated handles, free handles (always 0 since 2.6), the maximum.</summary>
internal static class FileNr
{
    public static (double Allocated, double Maximum) Parse(string text)
    {
        string[] parts = text.Trim().Split('\t');
        return parts.Length < 3
            ? throw new FormatException($"unexpected content \"{text.Trim()}\"")
            : (HostText.Number(parts[0]), HostText.Number(parts[2]));
    }
}
