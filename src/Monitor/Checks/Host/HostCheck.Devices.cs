using System.Globalization;
using Monitor.Metrics;

namespace Monitor.Checks.Host;

/// <summary>The per-device parts: network devices (netdev) and block devices (diskstats).</summary>
internal sealed partial class HostCheck
{
    /// <summary>diskstats' counters in the kernel's order: name, help, factor to node_exporter's unit, counter or gauge.</summary>
    private static readonly (string Name, string Help, double Factor, bool Counter)[] DiskCounters =
    [
        ("node_disk_reads_completed_total", "The total number of reads completed successfully.", 1, true),
        ("node_disk_reads_merged_total", "The total number of reads merged.", 1, true),
        ("node_disk_read_bytes_total", "The total number of bytes read successfully.", SectorBytes, true),
        ("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", SecondsPerTick, true),
        ("node_disk_writes_completed_total", "The total number of writes completed successfully.", 1, true),
        ("node_disk_writes_merged_total", "The number of writes merged.", 1, true),
        ("node_disk_written_bytes_total", "The total number of bytes written successfully.", SectorBytes, true),
        ("node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", SecondsPerTick, true),
        ("node_disk_io_now", "The number of I/Os currently in progress.", 1, false),
        ("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", SecondsPerTick, true),
        ("node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", SecondsPerTick, true),
        ("node_disk_discards_completed_total", "The total number of discards completed successfully.", 1, true),
        ("node_disk_discards_merged_total", "The total number of discards merged.", 1, true),
        ("node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", 1, true),
        ("node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards.", SecondsPerTick, true),
        ("node_disk_flush_requests_total", "The total number of flush requests completed successfully", 1, true),
        ("node_disk_flush_requests_time_seconds_total", "This is the total number of seconds spent by all flush requests.", SecondsPerTick, true),
    ];

    /// <summary>udev's ATA properties node_exporter publishes, with their metric names and help.</summary>
    private static readonly (string Property, string Name, string Help)[] AtaProperties =
    [
        ("ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "ATA disk has a write cache."),
        ("ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled", "ATA disk has its write cache enabled."),
        ("ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm", "ATA disk rotation rate in RPMs (0 for SSDs)."),
    ];

    // The kernel counts sectors of 512 bytes whatever the device's block size, and times in milliseconds.
    private const double SectorBytes = 512.0;
    private const double SecondsPerTick = 1.0 / 1000.0;

    private async Task PublishNetDevAsync(bool sysfs, CancellationToken cancellationToken)
    {
        foreach (var (device, counters) in NetDev.Parse(await ReadAsync(Proc("net/dev"), cancellationToken)))
        {
            if (_host.ExcludeNetworkDevices?.IsMatch(device) == true)
            {
                continue;
            }

            var label = new Label("device", device);
            for (int i = 0; i < counters.Length; i++)
            {
                _series.Counter($"node_network_{NetDev.Names[i]}_total", $"Network device statistic {NetDev.Names[i]}.", counters[i], label);
            }

            // node_exporter reads netlink, which also has packets dropped for want of a protocol handler.
            if (sysfs && await ReadOptionalAsync(Sys($"class/net/{device}/statistics/rx_nohandler"), cancellationToken) is { } nohandler)
            {
                _series.Counter("node_network_receive_nohandler_total", "Network device statistic receive_nohandler.", HostText.Number(nohandler.Trim()), label);
            }
        }
    }

    private async Task PublishDiskStatsAsync(CancellationToken cancellationToken)
    {
        foreach (var disk in DiskStats.Parse(await ReadAsync(Proc("diskstats"), cancellationToken)))
        {
            if (_host.ExcludeDiskDevices.IsMatch(disk.Device))
            {
                continue;
            }

            var label = new Label("device", disk.Device);
            var udev = await ReadOptionalAsync(Path.Combine(_host.UdevData, $"b{disk.Major}:{disk.Minor}"), cancellationToken) is { } text
                ? Udev.Parse(text)
                : [];
            string U(string property) => udev.GetValueOrDefault(property, string.Empty);

            _series.Gauge(
                "node_disk_info",
                "Info of /sys/block/<block_device>.",
                1,
                label,
                new Label("major", disk.Major),
                new Label("minor", disk.Minor),
                new Label("model", U("ID_MODEL")),
                new Label("path", U("ID_PATH")),
                new Label("revision", U("ID_REVISION")),
                new Label("serial", U("ID_SERIAL_SHORT")),
                new Label("wwn", U("ID_WWN")));

            for (int i = 0; i < Math.Min(disk.Counters.Length, DiskCounters.Length); i++)
            {
                var (name, help, factor, counter) = DiskCounters[i];
                double value = disk.Counters[i] * factor;
                if (counter)
                {
                    _series.Counter(name, help, value, label);
                }
                else
                {
                    _series.Gauge(name, help, value, label);
                }
            }

            if (U("ID_FS_TYPE") is { Length: > 0 } fsType)
            {
                _series.Gauge("node_disk_filesystem_info", "Info about disk filesystem.", 1, label, new Label("type", fsType), new Label("usage", U("ID_FS_USAGE")), new Label("uuid", U("ID_FS_UUID")), new Label("version", U("ID_FS_VERSION")));
            }

            if (U("DM_NAME") is { Length: > 0 } dmName)
            {
                _series.Gauge("node_disk_device_mapper_info", "Info about disk device mapper.", 1, label, new Label("lv_layer", U("DM_LV_LAYER")), new Label("lv_name", U("DM_LV_NAME")), new Label("name", dmName), new Label("uuid", U("DM_UUID")), new Label("vg_name", U("DM_VG_NAME")));
            }

            if (U("ID_ATA").Length > 0)
            {
                foreach (var (property, name, help) in AtaProperties)
                {
                    if (udev.TryGetValue(property, out string? raw) && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    {
                        _series.Gauge(name, help, value, label);
                    }
                }
            }
        }
    }
}
