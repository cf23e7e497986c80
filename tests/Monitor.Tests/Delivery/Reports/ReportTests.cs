using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Monitor.Alerting;
using Monitor.Checks;
using Monitor.Hosting;
using Monitor.Scheduling;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.Metrics;
using Monitor.Delivery.Slack;
using Monitor.Delivery.Reports;

namespace Monitor.Tests.Delivery.Reports;

public class ReportTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Report_SummarisesAlertsDisksGpusAndDatabases_InItsTimeZone()
    {
        var series = new SeriesStore();
        series.Gauge("node_filesystem_size_bytes", "h", [new("check", "disk"), new("mountpoint", "/")]).Set(100);
        series.Gauge("node_filesystem_avail_bytes", "h", [new("check", "disk"), new("mountpoint", "/")]).Set(8);
        series.Gauge("node_filesystem_size_bytes", "h", [new("check", "disk"), new("mountpoint", "/data")]).Set(100);
        series.Gauge("node_filesystem_avail_bytes", "h", [new("check", "disk"), new("mountpoint", "/data")]).Set(60);
        // As the nvidia_smi check publishes them: the name on the info series only.
        series.Gauge("nvidia_smi_gpu_info", "h", [new("check", "gpus"), new("index", "0"), new("name", "NVIDIA H100"), new("uuid", "GPU-1")]).Set(1);
        series.Gauge("nvidia_smi_utilization_gpu_ratio", "h", [new("check", "gpus"), new("uuid", "GPU-1")]).Set(0.97);
        series.Gauge("pg_database_size_bytes", "h", [new("check", "db"), new("datname", "openwebui")]).Set(5 * 1024d * 1024 * 1024);
        series.Counter("monitor_alert_sla_breaches_total", "h", [new("kind", "ack"), new("severity", "P1")]).Inc();
        var alert = new AlertRecord
        {
            Fingerprint = "0123456789abcdef",
            Origin = AlertOrigin.Rule,
            Labels = new(StringComparer.Ordinal) { ["alertname"] = "DiskFull", ["severity"] = "P1", ["mountpoint"] = "/" },
            Severity = Severity.P1,
            Status = AlertStatus.Firing,
            ActiveAt = T0,
            FiredAt = T0,
        };

        var scheduler = new CheckScheduler(series, new CheckFactory(TimeProvider.System, series), new SelfMetrics(series), TimeProvider.System, NullLogger<CheckScheduler>.Instance);
        var facts = new StatusReadModel(scheduler, series).Facts();
        string text = ReportBuilder.Build("morning", T0, TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul"), facts, [alert]);
        Assert.StartsWith("Monitor report morning: 2026-11-23 09:00 (Asia/Seoul)", text, StringComparison.Ordinal);
        Assert.Contains("P1: 1 firing (0 acknowledged)", text, StringComparison.Ordinal);
        Assert.Contains("- DiskFull mountpoint=/", text, StringComparison.Ordinal);
        Assert.Contains("P1 ack: 1", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("disk /: 92.0% used", StringComparison.Ordinal) < text.IndexOf("disk /data: 40.0% used", StringComparison.Ordinal));
        Assert.Contains("gpus NVIDIA H100 GPU-1: 97% busy", text, StringComparison.Ordinal);
        Assert.Contains("db openwebui: 5.00 GiB", text, StringComparison.Ordinal);

        var note = new Notification
        {
            Id = "report-morning-slack-1",
            Receiver = "slack",
            GroupKey = "report/morning",
            DedupKey = "d",
            Severity = Severity.P4,
            Kind = NotificationKind.Report,
            Reason = NotificationReason.First,
            GroupLabels = new Dictionary<string, string> { ["report"] = "morning" },
            Alerts = [],
            CreatedAt = T0,
            Report = text + "\n<!channel> ```",
        };
        string slack = JsonDocument.Parse(SlackNotifier.ReportPayload(note)).RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith("*Monitor report morning", slack, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt; '''", slack, StringComparison.Ordinal);
        Assert.EndsWith("```", slack, StringComparison.Ordinal);
    }
}
