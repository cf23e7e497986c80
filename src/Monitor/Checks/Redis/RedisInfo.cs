using System.Globalization;

namespace Monitor.Checks.Redis;

/// <summary>
/// The fields of one <c>INFO ALL</c> answer that Monitor publishes, parsed as redis_exporter parses them: one
/// <c>key:value</c> per line under <c># Section</c> headers, <c>dbN:keys=..,expires=..</c> lines in Keyspace.
/// </summary>
internal sealed class RedisInfo
{
    private RedisInfo(Dictionary<string, string> fields, List<(string Db, double Keys)> keyspace, string? masterLinkStatus)
    {
        Fields = fields;
        Keyspace = keyspace;
        MasterLinkStatus = masterLinkStatus;
    }

    /// <summary>Every <c>key:value</c> line; a key seen twice keeps its last value.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>The databases that hold keys, in the order INFO lists them.</summary>
    public IReadOnlyList<(string Db, double Keys)> Keyspace { get; }

    /// <summary><c>master_link_status</c> of the Replication section: only a replica has it.</summary>
    public string? MasterLinkStatus { get; }

    public string Field(string key) => Fields.TryGetValue(key, out var v) ? v : string.Empty;

    /// <summary>
    /// A field as redis_exporter reads it: <c>ok</c>/<c>true</c> are 1, <c>err</c>/<c>fail</c>/<c>false</c> 0,
    /// anything else a float (unparsable: 0, as Go's failed ParseFloat). Null when INFO lacks the field.
    /// </summary>
    public double? Number(string key)
    {
        if (!Fields.TryGetValue(key, out var text))
        {
            return null;
        }

        return text switch
        {
            "ok" or "true" => 1,
            "err" or "fail" or "false" => 0,
            _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0,
        };
    }

    public static RedisInfo Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var keyspace = new List<(string, double)>();
        string? masterLink = null;
        string section = string.Empty;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                section = line[2..];
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Length < 2 || colon < 0)
            {
                continue;
            }

            string key = line[..colon];
            string value = line[(colon + 1)..];
            fields[key] = value;
            if (section == "Keyspace" && key.StartsWith("db", StringComparison.Ordinal) && KeysOf(value) is { } keys)
            {
                keyspace.Add((key, keys));
            }
            else if (section == "Replication" && key == "master_link_status")
            {
                masterLink = value;
            }
        }

        return new RedisInfo(fields, keyspace, masterLink);
    }

    /// <summary><c>keys=3,expires=1,avg_ttl=0[,subexpiry=0]</c> → 3; null when not of that shape.</summary>
    private static double? KeysOf(string value)
    {
        string[] parts = value.Split(',');
        if (parts.Length < 2 || !parts[0].StartsWith("keys=", StringComparison.Ordinal))
        {
            return null;
        }

        return double.TryParse(parts[0].AsSpan(5), NumberStyles.Float, CultureInfo.InvariantCulture, out double keys) ? keys : null;
    }
}
