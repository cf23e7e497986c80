using Monitor.Metrics;

namespace Monitor.Checks.Disk;

/// <summary>The <c>node_filesystem_*</c> series of one mount.</summary>
internal sealed class MountSeries
{
    private readonly Sample _size;
    private readonly Sample _free;
    private readonly Sample _avail;
    private readonly Sample _files;
    private readonly Sample _filesFree;
    private readonly Sample _readOnly;
    private readonly Sample _deviceError;
    private bool _sizesPresent = true;

    public MountSeries(SeriesScope scope, MountEntry mount)
    {
        Label[] labels = [new("device", mount.Device), new("fstype", mount.FsType), new("mountpoint", mount.Mountpoint)];
        _size = scope.Gauge("node_filesystem_size_bytes", "Filesystem size in bytes.", labels);
        _free = scope.Gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.", labels);
        _avail = scope.Gauge("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", labels);
        _files = scope.Gauge("node_filesystem_files", "Filesystem total file nodes.", labels);
        _filesFree = scope.Gauge("node_filesystem_files_free", "Filesystem total free file nodes.", labels);
        _readOnly = scope.Gauge("node_filesystem_readonly", "Filesystem read-only status.", labels);
        _deviceError = scope.Gauge("node_filesystem_device_error", "Whether an error occurred while getting statistics for the given device.", labels);
    }

    private Sample[] Sizes => [_size, _free, _avail, _files, _filesFree];

    public void Publish(FileSystemUsage usage, bool readOnly)
    {
        if (!_sizesPresent)
        {
            // Re-adding after an error: the scope hands back the same series objects' identities.
            foreach (var s in Sizes)
            {
                s.Family.Restore(s);
            }

            _sizesPresent = true;
        }

        _size.Set(usage.SizeBytes);
        _free.Set(usage.FreeBytes);
        _avail.Set(usage.AvailableBytes);
        _files.Set(usage.Files);
        _filesFree.Set(usage.FilesFree);
        _readOnly.Set(readOnly ? 1 : 0);
        _deviceError.Set(0);
    }

    /// <summary>As node_exporter: on error only <c>device_error</c> and <c>readonly</c> remain, no stale sizes.</summary>
    public void PublishError(bool readOnly)
    {
        if (_sizesPresent)
        {
            foreach (var s in Sizes)
            {
                SeriesStore.Remove(s);
            }

            _sizesPresent = false;
        }

        _readOnly.Set(readOnly ? 1 : 0);
        _deviceError.Set(1);
    }

    public void Remove(SeriesScope scope)
    {
        foreach (var s in (Sample[])[.. Sizes, _readOnly, _deviceError])
        {
            scope.Remove(s);
        }
    }
}
