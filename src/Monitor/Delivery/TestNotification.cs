using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery;

/// <summary>The message <c>monitor test-notify</c> sends: a P4 alert that says what it is.</summary>
internal static class TestNotification
{
    public static Notification Create(string receiver, DateTimeOffset now)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["alertname"] = "MonitorTestNotification",
            ["receiver"] = receiver,
            ["severity"] = "P4",
        };
        string id = GuidIds.Instance.NewId();
        return new Notification
        {
            Id = id,
            Receiver = receiver,
            GroupKey = "test/" + id,
            DedupKey = "monitor-test-" + id,
            Severity = Severity.P4,
            Kind = NotificationKind.Firing,
            Reason = NotificationReason.Test,
            GroupLabels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = "MonitorTestNotification" },
            Alerts =
            [
                new AlertSnapshot
                {
                    Fingerprint = Fingerprint.Of(labels),
                    Labels = labels,
                    Annotations = new Dictionary<string, string> { ["summary"] = $"Test notification from Monitor to receiver {receiver}; no action needed." },
                    Status = AlertStatus.Firing,
                    StartsAt = now,
                },
            ],
            CreatedAt = now,
        };
    }
}
