using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Templating;

namespace Monitor.Delivery;

/// <summary>
/// Receiver templates (<c>title</c>, <c>text</c>, <c>subject</c>, <c>summary</c>) in the Go template subset of
/// annotations. The dot carries Alertmanager-like fields: <c>.Status</c> (firing, resolved, acknowledged),
/// <c>.Severity</c> (P1…P4), <c>.Receiver</c>, <c>.AlertName</c>, <c>.GroupLabels</c>, <c>.CommonLabels</c>,
/// <c>.CommonAnnotations</c>, <c>.Firing</c> and <c>.Resolved</c> (counts), <c>.ExternalURL</c>,
/// <c>.AlertsURL</c>, <c>.AckURL</c> (the first firing alert's ack link, or empty), <c>.Title</c> and
/// <c>.Body</c> (the defaults); <c>$labels</c> is the common labels and <c>$value</c> the firing count.
/// Every value taken from alerts is escaped for the medium before expansion, so a template's own markup
/// stays markup and an alert's stays text.
/// </summary>
internal static class NotificationTemplates
{
    /// <summary>A receiver's template setting; one that does not parse is an error at its value.</summary>
    public static string? Read(YamlMap map, string key)
    {
        string? template = map.String(key);
        if (template is not null && TemplateExpander.Validate(template) is { } error)
        {
            map.Context.Error(map.Get(key)!.Start, $"{map.Field(key)}: invalid template: {error}");
            return null;
        }

        return template;
    }

    public static string Expand(string template, Notification n, NotifierContext context, Func<string, string> escape)
    {
        IReadOnlyDictionary<string, string> Escaped(IEnumerable<KeyValuePair<string, string>> map) =>
            map.ToDictionary(kv => kv.Key, kv => escape(kv.Value), StringComparer.Ordinal);

        var firing = NotificationText.Firing(n).ToList();
        var common = Escaped(NotificationText.Common(n.Alerts.Select(a => a.Labels)));
        var fields = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["Status"] = NotificationText.State(n).ToLowerInvariant(),
            ["Severity"] = n.Severity.ToString(),
            ["Receiver"] = escape(n.Receiver),
            ["AlertName"] = escape(NotificationText.AlertName(n)),
            ["GroupLabels"] = Escaped(n.GroupLabels),
            ["CommonLabels"] = common,
            ["CommonAnnotations"] = Escaped(NotificationText.Common(n.Alerts.Select(a => a.Annotations))),
            ["Firing"] = (double)firing.Count,
            ["Resolved"] = (double)NotificationText.Resolved(n).Count(),
            ["ExternalURL"] = context.ExternalUrl.ToString().TrimEnd('/'),
            ["AlertsURL"] = context.AlertsLink,
            ["AckURL"] = firing.Select(a => NotificationText.AckLink(a, context)).FirstOrDefault(l => l is not null) ?? "",
            ["Title"] = escape(NotificationText.Title(n)),
            ["Body"] = escape(NotificationText.PlainBody(n, context)),
        };
        var options = new TemplateOptions { Name = "__receiver_" + n.Receiver, ExternalUrl = (string)fields["ExternalURL"] };
        return TemplateExpander.Expand(template, common, firing.Count, context.Options.ExternalLabels, fields, options);
    }
}
