namespace Monitor.Checks.Host;

/// <summary><c>/proc/loadavg</c>: the 1, 5 and 15 minute load averages.</summary>
internal static class LoadAverage
{
    public static (double One, double Five, double Fifteen) Parse(string text)
    {
        string[] parts = text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length < 3
            ? throw new FormatException($"unexpected content \"{text.Trim()}\"")
            : (HostText.Number(parts[0]), HostText.Number(parts[1]), HostText.Number(parts[2]));
    }
}
