using Monitor.Configuration;

namespace Monitor.Delivery.Email;

/// <summary>The <c>email</c> section of a receiver.</summary>
internal sealed record EmailReceiverOptions : IReceiverSettings
{
    public required SmtpOptions Smtp { get; init; }

    public required string From { get; init; }

    public required IReadOnlyList<string> To { get; init; }

    /// <summary>Template of the subject. <value>Default: the title, "[P1] FIRING: alertname (group labels)".</value></summary>
    public string? Subject { get; init; }

    /// <summary>Template of the plain-text part. <value>Default: the title and every alert in full.</value></summary>
    public string? Text { get; init; }

    public static EmailReceiverOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var smtp = SmtpOptions.Read(map.Map("smtp", required: true));
        string? from = map.String("from", required: true);
        var to = map.Strings("to", required: true, allowEmpty: false);
        if (from is not null && !IsMailAddress(from))
        {
            map.Context.Error(map.Get("from")!.Start, $"{map.Field("from")}: invalid address \"{from}\"");
            from = null;
        }

        foreach (var (node, path) in map.Sequence("to") ?? [])
        {
            if (map.Scalar(node, path) is { } address && !IsMailAddress(address))
            {
                map.Context.Error(node.Start, $"{path}: invalid address \"{address}\"");
                to = null;
            }
        }

        string? subject = NotificationTemplates.Read(map, "subject");
        string? text = NotificationTemplates.Read(map, "text");
        map.Finish();
        return smtp is null || from is null || to is null ? null : new EmailReceiverOptions { Smtp = smtp, From = from, To = to, Subject = subject, Text = text };
    }

    /// <summary>One mailbox as RFC 5322 writes it (<c>ops@example.com</c>, <c>On-call &lt;ops@example.com&gt;</c>), international ones included; no line breaks.</summary>
    private static bool IsMailAddress(string address) =>
        !address.Contains('\r', StringComparison.Ordinal) && !address.Contains('\n', StringComparison.Ordinal)
        && MimeKit.MailboxAddress.TryParse(address, out var mailbox) && mailbox.Address.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < mailbox.Address.Length - 1;
}
