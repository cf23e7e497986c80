namespace Monitor.Configuration;

internal static partial class ConfigLoader
{
    private static readonly System.Buffers.SearchValues<char> MailAddressForbidden = System.Buffers.SearchValues.Create("\r\n<>\" ,;");

    private static readonly string[] ReceiverKinds = ["pagerduty", "slack", "email", "alertmanager", "webhook"];

    private static List<ReceiverOptions> ReadReceivers(YamlMap root)
    {
        var result = new List<ReceiverOptions>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in root.Sequence("receivers") ?? [])
        {
            var map = YamlMap.From(root.Context, node, path);
            if (map is null)
            {
                continue;
            }

            var ctx = map.Context;
            string? name = map.String("name", required: true);
            if (name is not null && !Names.IsObjectName(name))
            {
                ctx.Error(map.Get("name")!.Start, $"{path}.name: invalid receiver name \"{name}\" ({Names.ObjectNameRule})");
                name = null;
            }
            else if (name is not null && !seen.Add(name))
            {
                ctx.Error(map.Get("name")!.Start, $"{path}.name: duplicate receiver name \"{name}\"");
                name = null;
            }

            var kinds = ReceiverKinds.Where(map.Has).ToList();
            if (kinds.Count != 1)
            {
                ctx.Error(map.Start, kinds.Count == 0
                    ? $"{path}: a receiver needs exactly one of {string.Join(", ", ReceiverKinds)}"
                    : $"{path}: a receiver has exactly one kind, found {string.Join(" and ", kinds)}");
                map.Finish();
                continue;
            }

            var receiver = new ReceiverOptions { Name = name ?? string.Empty };
            bool ok = kinds[0] switch
            {
                "pagerduty" => Set(ReadPagerDuty(map.Map("pagerduty")), v => receiver = receiver with { PagerDuty = v }),
                "slack" => Set(ReadSlack(map.Map("slack")), v => receiver = receiver with { Slack = v }),
                "email" => Set(ReadEmail(map.Map("email")), v => receiver = receiver with { Email = v }),
                "alertmanager" => Set(ReadAlertmanager(map.Map("alertmanager")), v => receiver = receiver with { Alertmanager = v }),
                _ => Set(ReadWebhook(map.Map("webhook")), v => receiver = receiver with { Webhook = v }),
            };
            map.Finish();
            if (ok && name is not null)
            {
                result.Add(receiver);
            }
        }

        return result;
    }

    private static bool Set<T>(T? value, Action<T> apply)
        where T : class
    {
        if (value is null)
        {
            return false;
        }

        apply(value);
        return true;
    }

    private static PagerDutyReceiverOptions? ReadPagerDuty(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var key = map.Secret("routing_key", required: true);
        var url = ReadUrl(map, "url", required: false, "http", "https");
        string? summary = ReadTemplate(map, "summary");
        map.Finish();
        if (key is null)
        {
            return null;
        }

        var result = new PagerDutyReceiverOptions { RoutingKey = key, Summary = summary };
        return url is null ? result : result with { Url = url };
    }

    private static SlackReceiverOptions? ReadSlack(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var url = map.Secret("webhook_url", required: true);
        if (url is not null && !(Uri.TryCreate(url.Reveal(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            // The URL is the credential: say what is wrong without echoing it.
            map.Context.Error(map.KeyMark(map.Has("webhook_url") ? "webhook_url" : "webhook_url_file"), $"{map.Field("webhook_url")}: not an absolute http(s) URL");
            url = null;
        }

        string? title = ReadTemplate(map, "title");
        string? text = ReadTemplate(map, "text");
        map.Finish();
        return url is null ? null : new SlackReceiverOptions { WebhookUrl = url, Title = title, Text = text };
    }

    /// <summary>A notification template (Go text/template subset); an invalid one is an error at its value.</summary>
    private static string? ReadTemplate(YamlMap map, string key)
    {
        string? template = map.String(key);
        if (template is not null && Rules.Templates.TemplateExpander.Validate(template) is { } error)
        {
            map.Context.Error(map.Get(key)!.Start, $"{map.Field(key)}: invalid template: {error}");
            return null;
        }

        return template;
    }

    private static EmailReceiverOptions? ReadEmail(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var smtp = ReadSmtp(map.Map("smtp", required: true));
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

        string? subject = ReadTemplate(map, "subject");
        string? text = ReadTemplate(map, "text");
        map.Finish();
        return smtp is null || from is null || to is null ? null : new EmailReceiverOptions { Smtp = smtp, From = from, To = to, Subject = subject, Text = text };
    }

    /// <summary>An address with no line breaks or angle brackets, so it can go into a header as is.</summary>
    private static bool IsMailAddress(string address)
    {
        int at = address.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at < address.Length - 1 && address.AsSpan().IndexOfAny(MailAddressForbidden) < 0;
    }

    private static SmtpOptions? ReadSmtp(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        string? host = map.String("host", required: true);
        bool tls = map.Bool("tls") ?? false;
        bool startTls = map.Bool("starttls") ?? !tls;
        if (tls && startTls && map.Has("starttls"))
        {
            map.Context.Error(map.Get("starttls")!.Start, $"{map.Field("starttls")}: starttls and tls (implicit TLS) exclude each other");
        }

        long port = map.Integer("port", 1, 65535) ?? (tls ? 465 : 587);
        string? username = map.String("username");
        var password = map.Secret("password");
        bool insecure = map.Bool("insecure_skip_verify") ?? false;
        if (password is not null && username is null)
        {
            map.Context.Error(map.Start, $"{map.Path}: password given without username");
        }

        map.Finish();
        return host is null ? null : new SmtpOptions
        {
            Host = host,
            Port = (int)port,
            Tls = tls,
            StartTls = startTls && !tls,
            Username = username,
            Password = password,
            InsecureSkipVerify = insecure,
        };
    }

    private static AlertmanagerReceiverOptions? ReadAlertmanager(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var urls = new List<Uri>();
        bool ok = true;
        foreach (var (node, path) in map.Sequence("urls", required: true) ?? [])
        {
            if (map.Scalar(node, path) is not { } text)
            {
                ok = false;
            }
            else if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                urls.Add(uri);
            }
            else
            {
                map.Context.Error(node.Start, $"{path}: invalid URL \"{text}\"");
                ok = false;
            }
        }

        if (ok && urls.Count == 0 && map.Has("urls"))
        {
            map.Context.Error(map.KeyMark("urls"), $"{map.Field("urls")}: must not be empty");
            ok = false;
        }

        map.Finish();
        return ok && urls.Count > 0 ? new AlertmanagerReceiverOptions { Urls = urls } : null;
    }

    private static WebhookReceiverOptions? ReadWebhook(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var url = map.Secret("url", required: true);
        if (url is not null && !(Uri.TryCreate(url.Reveal(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            map.Context.Error(map.KeyMark(map.Has("url") ? "url" : "url_file"), $"{map.Field("url")}: not an absolute http(s) URL");
            url = null;
        }

        var token = map.Secret("bearer_token");
        long maxAlerts = map.Integer("max_alerts", 0, 10_000) ?? 0;
        map.Finish();
        return url is null ? null : new WebhookReceiverOptions { Url = url, BearerToken = token, MaxAlerts = (int)maxAlerts };
    }
}
