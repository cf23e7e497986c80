using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Hosting;

namespace Monitor.Api;

/// <summary>
/// The alert and silence API (docs/http-api.md), the Alertmanager webhook receiver and the signed ack links. Every
/// mutation goes through <see cref="AlertPipeline"/> and is answered only after it is in the store.
/// </summary>
internal static class AlertEndpoints
{
    private const int MaxText = 1024;

    public static IEndpointRouteBuilder MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/alerts", ListAlertsAsync);
        app.MapPost("/api/v1/alerts/{fingerprint}/ack", AckAsync);
        app.MapGet("/api/v1/silences", ListSilencesAsync);
        app.MapPost("/api/v1/silences", CreateSilenceAsync);
        app.MapDelete("/api/v1/silences/{id}", DeleteSilenceAsync);
        app.MapPost("/api/v1/alertmanager", ReceiveAlertmanagerAsync);
        app.MapGet("/ack/{token}", AckPageAsync);
        app.MapPost("/ack/{token}", AckLinkAsync);
        return app;
    }

    private static AlertPipeline Pipeline(HttpContext context) => context.RequestServices.GetRequiredService<AlertPipeline>();

    private static MonitorOptions Options(HttpContext context) => context.RequestServices.GetRequiredService<MonitorRuntime>().Current;

    /// <summary>Runs a pipeline call, turning "not the leader" and store failures into 503 answers.</summary>
    private static async Task GuardAsync(HttpContext context, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (NotLeaderException e)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "alert store unavailable: " + e.Message);
        }
    }

    private static Task ListAlertsAsync(HttpContext context) => GuardAsync(context, async () =>
    {
        var pipeline = Pipeline(context);
        var alerts = await pipeline.ActiveAlertsWithStepsAsync();
        var failures = pipeline.Store is { } store ? await store.FailuresAsync(100, context.RequestAborted) : [];
        var suppressed = pipeline.Suppressed;
        await ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "success");
            w.WriteStartArray("alerts");
            foreach (var (alert, step) in alerts)
            {
                w.WriteStartObject();
                w.WriteString("fingerprint", alert.Fingerprint);
                WriteMap(w, "labels", alert.Labels);
                WriteMap(w, "annotations", alert.Annotations);
                w.WriteString("severity", alert.Severity.ToString());
                w.WriteString("state", alert.Status == AlertStatus.Pending ? "pending" : alert.AckedAt is null ? "firing" : "acknowledged");
                w.WriteString("source", alert.Origin == AlertOrigin.Rule ? "rule" : "alertmanager");
                w.WriteString("since", ApiResults.Timestamp(alert.ActiveAt));
                ApiResults.WriteNullable(w, "fired_at", alert.FiredAt is { } fired ? ApiResults.Timestamp(fired) : null);
                w.WriteNumber("value", double.IsFinite(alert.Value) ? alert.Value : 0);
                ApiResults.WriteNullable(w, "acked_by", alert.AckedBy);
                ApiResults.WriteNullable(w, "acked_at", alert.AckedAt is { } acked ? ApiResults.Timestamp(acked) : null);
                ApiResults.WriteNullable(w, "ack_comment", alert.AckComment);
                w.WriteNumber("escalation_step", step);
                w.WriteBoolean("suppressed", suppressed.Contains(alert.Fingerprint));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("delivery_failures");
            foreach (var failure in failures)
            {
                var n = failure.Notification;
                w.WriteStartObject();
                w.WriteString("id", n.Id);
                w.WriteString("receiver", n.Receiver);
                w.WriteString("kind", n.Kind.ToString().ToLowerInvariant());
                w.WriteString("severity", n.Severity.ToString());
                w.WriteString("state", failure.Status == OutboxStatus.Failed ? "given_up" : "retrying");
                w.WriteNumber("attempts", failure.Attempts);
                ApiResults.WriteNullable(w, "next_attempt_at", failure.Status == OutboxStatus.Pending ? ApiResults.Timestamp(failure.NextAttemptAt) : null);
                ApiResults.WriteNullable(w, "last_error", failure.LastError);
                w.WriteStartArray("fingerprints");
                foreach (var a in n.Alerts)
                {
                    w.WriteStringValue(a.Fingerprint);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    });

    private static async Task AckAsync(HttpContext context, string fingerprint)
    {
        var body = await AuthorizedJsonAsync(context);
        if (body is null)
        {
            return;
        }

        if (!TryText(body.Value, "by", required: true, out string by, out string? error)
            || !TryText(body.Value, "comment", required: false, out string comment, out error))
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, error!);
            return;
        }

        await GuardAsync(context, async () =>
        {
            var result = await Pipeline(context).AcknowledgeAsync(fingerprint, by, comment);
            await AnswerAckAsync(context, fingerprint, result);
        });
    }

    private static Task AnswerAckAsync(HttpContext context, string fingerprint, AckResult result) => result switch
    {
        AckResult.NotFound => ApiResults.ErrorAsync(context.Response, StatusCodes.Status404NotFound, $"no alert with fingerprint {fingerprint}"),
        AckResult.Resolved => ApiResults.ErrorAsync(context.Response, StatusCodes.Status409Conflict, $"alert {fingerprint} is already resolved"),
        _ => ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "success");
            w.WriteString("fingerprint", fingerprint);
            w.WriteBoolean("already_acknowledged", result == AckResult.AlreadyAcknowledged);
            w.WriteEndObject();
        }),
    };

    private static Task ListSilencesAsync(HttpContext context) => GuardAsync(context, async () =>
    {
        var silences = await Pipeline(context).SilencesAsync();
        var options = Options(context);
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        await ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "success");
            w.WriteStartArray("silences");
            foreach (var s in silences)
            {
                w.WriteStartObject();
                w.WriteString("id", s.Id);
                w.WriteString("state", s.ActiveAt(now) ? "active" : s.StartsAt > now ? "pending" : "expired");
                w.WriteStartArray("matchers");
                foreach (var m in s.Matchers)
                {
                    w.WriteStartObject();
                    w.WriteString("name", m.Name);
                    w.WriteString("value", m.Value);
                    w.WriteBoolean("isRegex", m.IsRegex);
                    w.WriteBoolean("isEqual", m.IsEqual);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteString("startsAt", ApiResults.Timestamp(s.StartsAt));
                w.WriteString("endsAt", ApiResults.Timestamp(s.EndsAt));
                w.WriteString("createdBy", s.CreatedBy);
                w.WriteString("comment", s.Comment);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("windows");
            foreach (var window in options.Silences)
            {
                w.WriteStartObject();
                w.WriteString("name", window.Name);
                w.WriteString("cron", window.Cron.Expression);
                w.WriteString("timezone", window.TimeZone.Id);
                w.WriteNumber("duration_seconds", window.Duration.TotalSeconds);
                w.WriteBoolean("active", AlertPolicy.WindowActive(window, now));
                WriteMap(w, "matchers", window.Matchers);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    });

    private static async Task CreateSilenceAsync(HttpContext context)
    {
        var body = await AuthorizedJsonAsync(context);
        if (body is null)
        {
            return;
        }

        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var (silence, error) = ParseSilence(body.Value, now);
        if (silence is null)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, error!);
            return;
        }

        await GuardAsync(context, async () =>
        {
            await Pipeline(context).AddSilenceAsync(silence);
            await ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", "success");
                w.WriteString("silenceID", silence.Id);
                w.WriteEndObject();
            });
        });
    }

    /// <summary>
    /// A silence in Alertmanager's API v2 shape: <c>matchers</c> as a list of {name, value, isRegex, isEqual}
    /// (or a plain label → value object), <c>startsAt</c> (default now), <c>endsAt</c>, <c>createdBy</c>, <c>comment</c>.
    /// </summary>
    internal static (Silence? Silence, string? Error) ParseSilence(JsonElement body, DateTimeOffset now)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, "body must be a JSON object");
        }

        var matchers = new List<SilenceMatcher>();
        if (!body.TryGetProperty("matchers", out var m))
        {
            return (null, "matchers: required");
        }

        if (m.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in m.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    return (null, $"matchers.{p.Name}: must be a string");
                }

                matchers.Add(new SilenceMatcher(p.Name, p.Value.GetString()!, false));
            }
        }
        else if (m.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in m.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !item.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
                {
                    return (null, $"matchers[{i}]: needs string name and value");
                }

                bool isRegex = item.TryGetProperty("isRegex", out var r) && r.ValueKind == JsonValueKind.True;
                bool isEqual = !item.TryGetProperty("isEqual", out var e) || e.ValueKind != JsonValueKind.False;
                var matcher = new SilenceMatcher(name.GetString()!, value.GetString()!, isRegex, isEqual);
                if (matcher.Validate() is { } problem)
                {
                    return (null, $"matchers[{i}]: {problem}");
                }

                matchers.Add(matcher);
                i++;
            }
        }
        else
        {
            return (null, "matchers: must be a list or an object");
        }

        if (matchers.Count == 0)
        {
            return (null, "matchers: at least one matcher is required");
        }

        if (!TryTime(body, "startsAt", out var startsAt, out string? error) || !TryTime(body, "endsAt", out var endsAt, out error))
        {
            return (null, error);
        }

        if (endsAt is null)
        {
            return (null, "endsAt: required");
        }

        var start = startsAt ?? now;
        if (endsAt <= start)
        {
            return (null, "endsAt: must be after startsAt");
        }

        if (endsAt <= now)
        {
            return (null, "endsAt: must be in the future");
        }

        if (!TryText(body, "createdBy", required: true, out string createdBy, out error) || !TryText(body, "comment", required: false, out string comment, out error))
        {
            return (null, error);
        }

        return (new Silence { Id = Guid.NewGuid().ToString(), Matchers = matchers, StartsAt = start, EndsAt = endsAt.Value, CreatedBy = createdBy, Comment = comment }, null);
    }

    private static async Task DeleteSilenceAsync(HttpContext context, string id)
    {
        if (!await AuthorizedAsync(context))
        {
            return;
        }

        await GuardAsync(context, async () =>
        {
            if (!await Pipeline(context).ExpireSilenceAsync(id))
            {
                await ApiResults.ErrorAsync(context.Response, StatusCodes.Status404NotFound, $"no silence with id {id}");
                return;
            }

            await ApiResults.SuccessAsync(context.Response);
        });
    }

    private static async Task ReceiveAlertmanagerAsync(HttpContext context)
    {
        var body = await AuthorizedJsonAsync(context);
        if (body is null)
        {
            return;
        }

        var (alerts, error) = ParseWebhook(body.Value);
        if (alerts is null)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, error!);
            return;
        }

        await GuardAsync(context, async () =>
        {
            int changed = await Pipeline(context).IngestAsync(alerts);
            await ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", "success");
                w.WriteNumber("received", alerts.Count);
                w.WriteNumber("changed", changed);
                w.WriteEndObject();
            });
        });
    }

    /// <summary>Alertmanager's webhook payload, version 4 (docs/delivery.md).</summary>
    internal static (List<IncomingAlert>? Alerts, string? Error) ParseWebhook(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, "body must be a JSON object");
        }

        if (body.TryGetProperty("version", out var version) && (version.ValueKind != JsonValueKind.String || version.GetString() != "4"))
        {
            return (null, $"version: expected \"4\", got {version.GetRawText()}");
        }

        if (!body.TryGetProperty("alerts", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return (null, "alerts: required list");
        }

        var alerts = new List<IncomingAlert>();
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            string at = $"alerts[{i}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{at}: must be an object");
            }

            var (labels, labelError) = Map(item, "labels");
            var (annotations, annotationError) = Map(item, "annotations");
            if (labels is null || annotations is null)
            {
                return (null, $"{at}.{labelError ?? annotationError}");
            }

            if (labels.Count == 0)
            {
                return (null, $"{at}.labels: at least one label is required");
            }

            string status = item.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
            if (status is not ("firing" or "resolved"))
            {
                return (null, $"{at}.status: expected firing or resolved, got \"{status}\"");
            }

            if (!TryTime(item, "startsAt", out var startsAt, out string? error) || !TryTime(item, "endsAt", out var endsAt, out error))
            {
                return (null, $"{at}.{error}");
            }

            string fingerprint = item.TryGetProperty("fingerprint", out var f) && f.ValueKind == JsonValueKind.String
                && f.GetString() is { Length: 16 } given && given.All(Uri.IsHexDigit)
                ? given.ToLowerInvariant()
                : Fingerprint.Of(labels);
            string? generator = item.TryGetProperty("generatorURL", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
            alerts.Add(new IncomingAlert(fingerprint, status == "resolved", labels, annotations, startsAt, endsAt is { Year: > 1 } ? endsAt : null, generator));
            i++;
        }

        return (alerts, null);
    }

    private static async Task AckPageAsync(HttpContext context, string token)
    {
        var (fingerprint, problem) = CheckToken(context, token);
        if (fingerprint is null)
        {
            await HtmlAsync(context, problem!.Value.Status, "Acknowledge alert", $"<p>{Html(problem.Value.Error)}</p>");
            return;
        }

        await GuardAsync(context, async () =>
        {
            var alert = (await Pipeline(context).ActiveAlertsAsync()).FirstOrDefault(a => a.Fingerprint == fingerprint);
            if (alert is null)
            {
                await HtmlAsync(context, StatusCodes.Status404NotFound, "Acknowledge alert", "<p>This alert is no longer active.</p>");
                return;
            }

            string summary = alert.Annotations.GetValueOrDefault("summary") ?? alert.Annotations.GetValueOrDefault("description") ?? "";
            string labels = string.Join("", alert.Labels.Select(l => $"<li><code>{Html(l.Key)}</code> = <code>{Html(l.Value)}</code></li>"));
            string state = alert.AckedBy is { } by ? $"<p>Already acknowledged by {Html(by)}.</p>" : "";
            string body = $"""
                <h1>{Html(alert.Severity.ToString())} · {Html(alert.AlertName)}</h1>
                <p>{Html(summary)}</p>
                <ul>{labels}</ul>
                <p>Firing since {Html(ApiResults.Timestamp(alert.FiredAt ?? alert.ActiveAt))}</p>
                {state}
                <form method="post">
                  <label>Your name <input name="by" maxlength="200" required></label>
                  <label>Comment <input name="comment" maxlength="1000"></label>
                  <button type="submit">Acknowledge</button>
                </form>
                """;
            await HtmlAsync(context, StatusCodes.Status200OK, "Acknowledge " + alert.AlertName, body);
        });
    }

    private static async Task AckLinkAsync(HttpContext context, string token)
    {
        var (fingerprint, problem) = CheckToken(context, token);
        if (fingerprint is null)
        {
            await HtmlAsync(context, problem!.Value.Status, "Acknowledge alert", $"<p>{Html(problem.Value.Error)}</p>");
            return;
        }

        string by = "ack link";
        string comment = "";
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            by = Clip(form["by"].ToString().Trim()) is { Length: > 0 } name ? name : by;
            comment = Clip(form["comment"].ToString().Trim());
        }

        await GuardAsync(context, async () =>
        {
            var result = await Pipeline(context).AcknowledgeAsync(fingerprint, by, comment);
            var (status, message) = result switch
            {
                AckResult.Acknowledged => (StatusCodes.Status200OK, $"Acknowledged by {by}. Repeats and escalation are stopped."),
                AckResult.AlreadyAcknowledged => (StatusCodes.Status200OK, "This alert was already acknowledged."),
                AckResult.Resolved => (StatusCodes.Status409Conflict, "This alert is already resolved."),
                _ => (StatusCodes.Status404NotFound, "This alert is no longer active."),
            };
            await HtmlAsync(context, status, "Acknowledge alert", $"<p>{Html(message)}</p>");
        });
    }

    private static (string? Fingerprint, (int Status, string Error)? Problem) CheckToken(HttpContext context, string token)
    {
        var secret = Options(context).Server.AckSecret;
        if (secret is null)
        {
            return (null, (StatusCodes.Status404NotFound, "Ack links are not enabled on this server."));
        }

        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var (fingerprint, _, error) = AckTokens.FromSecret(secret.Reveal()).Validate(token, now);
        return fingerprint is not null
            ? (fingerprint, null)
            : (null, error switch
            {
                "link expired" => (StatusCodes.Status410Gone, "This link has expired."),
                "invalid signature" => (StatusCodes.Status403Forbidden, "This link is not valid."),
                _ => (StatusCodes.Status400BadRequest, "This link is malformed."),
            });
    }

    private static Task HtmlAsync(HttpContext context, int status, string title, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
        return context.Response.WriteAsync($"<!doctype html><html><head><meta charset=\"utf-8\"><title>{Html(title)}</title></head><body>{body}</body></html>", context.RequestAborted);
    }

    internal static string Html(string text) => WebUtility.HtmlEncode(text);

    private static string Clip(string text) => text.Length > MaxText ? text[..MaxText] : text;

    /// <summary>True when the bearer token allows a mutation; otherwise false after answering 401 or 403.</summary>
    private static async Task<bool> AuthorizedAsync(HttpContext context)
    {
        if (BearerAuth.Check(context.Request, Options(context).Server.ApiToken) is { } denied)
        {
            await ApiResults.ErrorAsync(context.Response, denied.Status, denied.Error);
            return false;
        }

        return true;
    }

    /// <summary>The body of an authorised mutation as JSON, or null after answering 401, 403 or 400.</summary>
    private static async Task<JsonElement?> AuthorizedJsonAsync(HttpContext context) =>
        await AuthorizedAsync(context) ? await ReadJsonAsync(context) : null;

    /// <summary>The body as JSON, or null after answering 400.</summary>
    private static async Task<JsonElement?> ReadJsonAsync(HttpContext context)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, "invalid JSON: " + e.Message);
            return null;
        }
    }

    private static bool TryText(JsonElement body, string name, bool required, out string value, out string? error)
    {
        value = "";
        error = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "body must be a JSON object";
            return false;
        }

        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            error = required ? $"{name}: required" : null;
            return !required;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"{name}: must be a string";
            return false;
        }

        value = Clip(element.GetString()!.Trim());
        if (required && value.Length == 0)
        {
            error = $"{name}: must not be empty";
            return false;
        }

        return true;
    }

    private static bool TryTime(JsonElement body, string name, out DateTimeOffset? value, out string? error)
    {
        value = null;
        error = null;
        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = $"{name}: expected an RFC 3339 time, got {element.GetRawText()}";
        return false;
    }

    private static (Dictionary<string, string>? Map, string? Error) Map(JsonElement item, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!item.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return (map, null);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{name}: must be an object");
        }

        foreach (var p in element.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                return (null, $"{name}.{p.Name}: must be a string");
            }

            map[p.Name] = p.Value.GetString()!;
        }

        return (map, null);
    }

    private static void WriteMap(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> map)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
    }
}
