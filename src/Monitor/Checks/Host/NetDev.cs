namespace Monitor.Checks.Host;

/// <summary>
/// <c>/proc/net/dev</c>: per device, the 16 counters under the names node_exporter gives them
/// (<c>node_network_&lt;name&gt;_total</c>). The kernel's columns already are the sums node_exporter's netlink
/// path adds up for its "legacy" names (drop includes missed, frame includes length, over and crc errors).
/// </summary>
internal static class NetDev
{
    public static readonly string[] Names =
    [
        "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
        "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
    ];

    public static List<(string Device, double[] Counters)> Parse(string text)
    {
        var devices = new List<(string, double[])>();
        foreach (string line in text.Split('\n').Skip(2))
        {
            int colon = line.LastIndexOf(':');
            if (colon < 0)
            {
                if (line.Trim().Length > 0)
                {
                    throw new FormatException($"unexpected line \"{line}\"");
                }

                continue;
            }

            string[] values = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (values.Length != Names.Length)
            {
                throw new FormatException($"expected {Names.Length} counters in \"{line}\"");
            }

            devices.Add((line[..colon].Trim(), [.. values.Select(HostText.Number)]));
        }

        return devices;
    }
}
