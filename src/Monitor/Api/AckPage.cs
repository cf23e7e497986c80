using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Monitor.Alerting;

namespace Monitor.Api;

/// <summary>
/// The signed ack link of notifications: GET shows the alert and a confirm button (a mail scanner's prefetch
/// acknowledges nothing), POST acknowledges. 404 when links are off, 400 malformed, 403 forged, 410 expired or of an earlier incident.
/// </summary>
internal static class AckPage
{
    public static IEndpointRouteBuilder MapAckPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ack/{token}", ShowAsync);
        app.MapPost("/ack/{token}", AcknowledgeAsync);
        return app;
    }

    private static async Task ShowAsync(HttpContext context, string token)
    {
        var (check, problem) = CheckToken(context, token);
        if (check is null)
        {
            await HtmlAsync(context, problem!.Value.Status, "Acknowledge alert", $"<p>{Html(problem.Value.Message)}</p>");
            return;
        }

        await AlertEndpoints.GuardAsync(context, async () =>
        {
            var alert = (await AlertEndpoints.Alerts(context).ActiveAlertsAsync()).FirstOrDefault(a => a.Fingerprint == check.Fingerprint);
            if (alert is null)
            {
                await HtmlAsync(context, StatusCodes.Status404NotFound, "Acknowledge alert", "<p>This alert is no longer active.</p>");
                return;
            }

            if (!check.IsFor(AlertLifecycle.EpisodeStart(alert)))
            {
                await HtmlAsync(context, StatusCodes.Status410Gone, "Acknowledge alert", $"<p>{Html(EarlierIncident)}</p>");
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

    private static async Task AcknowledgeAsync(HttpContext context, string token)
    {
        var (check, problem) = CheckToken(context, token);
        if (check is null)
        {
            await HtmlAsync(context, problem!.Value.Status, "Acknowledge alert", $"<p>{Html(problem.Value.Message)}</p>");
            return;
        }

        string by = "ack link";
        string comment = "";
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            by = RequestJson.Clip(form["by"].ToString().Trim()) is { Length: > 0 } name ? name : by;
            comment = RequestJson.Clip(form["comment"].ToString().Trim());
        }

        await AlertEndpoints.GuardAsync(context, async () =>
        {
            var result = await AlertEndpoints.Alerts(context).AcknowledgeAsync(check.Fingerprint!, by, comment, check.IsFor);
            var (status, message) = result switch
            {
                AckResult.EarlierIncident => (StatusCodes.Status410Gone, EarlierIncident),
                AckResult.Acknowledged => (StatusCodes.Status200OK, $"Acknowledged by {by}. Repeats and escalation are stopped."),
                AckResult.AlreadyAcknowledged => (StatusCodes.Status200OK, "This alert was already acknowledged."),
                AckResult.Resolved => (StatusCodes.Status409Conflict, "This alert is already resolved."),
                _ => (StatusCodes.Status404NotFound, "This alert is no longer active."),
            };
            await HtmlAsync(context, status, "Acknowledge alert", $"<p>{Html(message)}</p>");
        });
    }

    private const string EarlierIncident = "This link is for an earlier incident of this alert, which has since resolved and fired again; it acknowledges nothing. Use the link of the latest notification.";

    private static (AckTokenCheck? Check, (int Status, string Message)? Problem) CheckToken(HttpContext context, string token)
    {
        var secret = context.RequestServices.GetRequiredService<IRuntimeControl>().Current.Server.AckSecret;
        if (secret is null)
        {
            return (null, (StatusCodes.Status404NotFound, "Ack links are not enabled on this server."));
        }

        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var check = AckTokens.FromSecret(secret.Reveal()).Validate(token, now);
        return check.Outcome switch
        {
            AckTokenOutcome.Valid => (check, null),
            AckTokenOutcome.Expired => (null, (StatusCodes.Status410Gone, "This link has expired.")),
            AckTokenOutcome.Forged => (null, (StatusCodes.Status403Forbidden, "This link is not valid.")),
            _ => (null, (StatusCodes.Status400BadRequest, "This link is malformed.")),
        };
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
}
