using System.Globalization;
using System.Text;

namespace Monitor.Checks.Gpu;

/// <summary>One GPU row: its identifying labels and its numeric fields (already named and converted).</summary>
internal sealed record GpuRow(string Uuid, IReadOnlyDictionary<string, string> Info, IReadOnlyDictionary<string, double> Values);

/// <summary>
/// Parses <c>nvidia-smi --query-gpu=... --format=csv</c> the way nvidia_gpu_exporter does: the header's unit
/// picks the metric suffix and factor (<c>[%]</c> → <c>_ratio</c> ×0.01, <c>[MiB]</c> → <c>_bytes</c>
/// ×1048576, <c>[W]</c> → <c>_watts</c>, <c>[MHz]</c> → <c>_clock_hz</c> ×1e6, <c>[us]</c>/<c>[ms]</c> →
/// <c>_seconds</c>); <c>[N/A]</c>, <c>[Not Supported]</c> and the like mean "no series", never 0.
/// </summary>
internal static class NvidiaSmiCsv
{
    /// <summary>The fields queried; string fields become labels of <c>nvidia_smi_gpu_info</c>.</summary>
    public static readonly string[] Fields =
    [
        "index", "uuid", "name", "pci.bus_id", "driver_version", "pstate", "temperature.gpu", "temperature.memory",
        "utilization.gpu", "utilization.memory", "memory.total", "memory.used", "memory.free", "power.draw",
        "power.limit", "clocks.current.sm", "clocks.current.memory", "fan.speed", "ecc.errors.uncorrected.volatile.total",
    ];

    private static readonly HashSet<string> InfoFields = new(StringComparer.Ordinal) { "index", "uuid", "name", "pci.bus_id", "driver_version" };

    private static readonly HashSet<string> Missing = new(StringComparer.OrdinalIgnoreCase)
    {
        string.Empty, "N/A", "[N/A]", "[Not Supported]", "[Insufficient Permissions]", "[Unknown Error]", "[GPU is lost]",
    };

    private readonly record struct Column(string Field, string Metric, double Factor);

    /// <summary>The rows, and a message for each row that had to be rejected.</summary>
    public static (List<GpuRow> Rows, List<string> Errors) Parse(string csv)
    {
        var rows = new List<GpuRow>();
        var errors = new List<string>();
        var lines = csv.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0)
        {
            errors.Add("nvidia-smi printed nothing");
            return (rows, errors);
        }

        var columns = lines[0].Split(',').Select(h => ParseHeader(h.Trim())).ToArray();
        if (!columns.Any(c => c.Field == "uuid"))
        {
            errors.Add($"nvidia-smi header has no uuid column: \"{lines[0]}\"");
            return (rows, errors);
        }

        for (int i = 1; i < lines.Count; i++)
        {
            // nvidia-smi does not quote: split on commas and trim, and reject rows that do not line up.
            var cells = lines[i].Split(',').Select(c => c.Trim()).ToArray();
            if (cells.Length != columns.Length)
            {
                errors.Add($"line {i + 1}: {cells.Length} columns, the header has {columns.Length}");
                continue;
            }

            var info = new Dictionary<string, string>(StringComparer.Ordinal);
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int c = 0; c < columns.Length; c++)
            {
                var column = columns[c];
                string cell = cells[c];
                if (InfoFields.Contains(column.Field))
                {
                    info[column.Field.Replace('.', '_')] = column.Field == "uuid" ? NormalizeUuid(cell) : cell;
                }

                if (column.Field is "uuid" or "name" or "pci.bus_id" or "driver_version" || Missing.Contains(cell))
                {
                    continue;
                }

                if (TryValue(cell, out double value))
                {
                    values[column.Metric] = value * column.Factor;
                }
            }

            rows.Add(new GpuRow(info["uuid"], info, values));
        }

        return (rows, errors);
    }

    /// <summary><c>GPU-3F1C…</c> → <c>3f1c…</c>, the exporter's uuid label.</summary>
    public static string NormalizeUuid(string uuid) =>
        (uuid.StartsWith("GPU-", StringComparison.OrdinalIgnoreCase) ? uuid[4..] : uuid).ToLowerInvariant();

    private static Column ParseHeader(string header)
    {
        string field = header;
        string unit = string.Empty;
        int open = header.IndexOf('[', StringComparison.Ordinal);
        if (open >= 0 && header.EndsWith(']'))
        {
            field = header[..open].Trim();
            unit = header[(open + 1)..^1];
        }

        string name = "nvidia_smi_" + SnakeCase(field.Replace('.', '_'));
        return unit switch
        {
            "%" => new Column(field, name + "_ratio", 0.01),
            "MiB" => new Column(field, name + "_bytes", 1048576),
            "W" => new Column(field, name + "_watts", 1),
            "MHz" => new Column(field, name + "_clock_hz", 1e6),
            "us" => new Column(field, name + "_seconds", 1e-6),
            "ms" => new Column(field, name + "_seconds", 1e-3),
            _ => new Column(field, name, 1),
        };
    }

    private static string SnakeCase(string text)
    {
        var sb = new StringBuilder(text.Length + 4);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsAsciiLetterUpper(c))
            {
                if (i > 0 && text[i - 1] != '_')
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>A number with its unit stripped (<c>631.95 W</c>), an enum (Enabled/Disabled), or a P-state.</summary>
    private static bool TryValue(string cell, out double value)
    {
        switch (cell)
        {
            case "Enabled" or "Yes" or "Active":
                value = 1;
                return true;
            case "Disabled" or "No" or "Not Active":
                value = 0;
                return true;
        }

        if (cell.Length >= 2 && cell[0] == 'P' && int.TryParse(cell.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int pstate))
        {
            value = pstate;
            return true;
        }

        int space = cell.IndexOf(' ', StringComparison.Ordinal);
        string number = space > 0 ? cell[..space] : cell;
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
