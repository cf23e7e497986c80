namespace Monitor.Checks.Host;

/// <summary>udev's database entry of a block device (<c>/run/udev/data/b&lt;major&gt;:&lt;minor&gt;</c>): its <c>E:</c> properties.</summary>
internal static class Udev
{
    public static Dictionary<string, string> Parse(string text)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("E:", StringComparison.Ordinal) && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 2)
            {
                properties[line[2..eq]] = line[(eq + 1)..];
            }
        }

        return properties;
    }
}
