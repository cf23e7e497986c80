using Monitor.Configuration;

namespace Monitor.Delivery.Email;

/// <summary>The <c>email</c> section of a receiver.</summary>
internal sealed record EmailReceiverOptions : IReceiverSettings
{
    private static readonly System.Buffers.SearchValues<char> MailAddressForbidden = System.Buffers.SearchValues.Create("\r\n<>\" ,;");

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

    /// <summary>An address with no line breaks or angle brackets, so it can go into a header as is.</summary>
    private static bool IsMailAddress(string address)
    {
        int at = address.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at < address.Length - 1 && address.AsSpan().IndexOfAny(MailAddressForbidden) < 0;
    }
}
