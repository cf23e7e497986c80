using System.Text;

namespace Monitor.Checks.Disk;

/// <summary>Parses <c>/proc/self/mounts</c> (fstab format, with octal escapes such as <c>\040</c> for a space).</summary>
internal static class MountTable
{
    public static List<MountEntry> Parse(string text)
    {
        var result = new List<MountEntry>();
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
            {
                continue;
            }

            bool readOnly = fields[3].Split(',').Contains("ro");
            result.Add(new MountEntry(Unescape(fields[0]), Unescape(fields[1]), Unescape(fields[2]), readOnly));
        }

        return result;
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
