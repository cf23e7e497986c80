using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Monitor.Alerting;
using static Monitor.Api.RequestJson;

namespace Monitor.Api;

/// <summary>
/// The alert and silence API (docs/http-api.md) and the Alertmanager webhook receiver. Every mutation goes through
/// the alerting's <see cref="IAlertService"/> and is answered only after it is in the store; parsing the bodies is
/// <see cref="SilenceRequest"/>'s and <see cref="AlertmanagerWebhook"/>'s, writing the answers <see cref="AlertJson"/>'s.
/// </summary>
internal static class AlertEndpoints
{
    public static IEndpointRouteBuilder MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/alerts", ListAlertsAsync);
        app.MapPost("/api/v1/alerts/{fingerprint}/ack", AckAsync);
        app.MapGet("/api/v1/silences", ListSilencesAsync);
        app.MapPost("/api/v1/silences", CreateSilenceAsync);
        app.MapDelete("/api/v1/silences/{id}", DeleteSilenceAsync);
        app.MapPost("/api/v1/alertmanager", ReceiveAlertmanagerAsync);
        app.MapAckPage();
        return app;
    }

    internal static IAlertService Alerts(HttpContext context) => context.RequestServices.GetRequiredService<IAlertService>();

    /// <summary>Runs an alerting call, turning "not the leader" and store failures into 503 answers.</summary>
    internal static async Task GuardAsync(HttpContext context, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (NotLeaderException e)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        catch (Exception e) when (StoreFailure.Is(e))
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "alert store unavailable: " + e.Message);
        }
    }

    private static Task ListAlertsAsync(HttpContext context) => GuardAsync(context, async () =>
    {
        var alerting = Alerts(context);
        var alerts = await alerting.ActiveAlertsWithStepsAsync();
        var failures = await alerting.DeliveryFailuresAsync(100, context.RequestAborted);
        var suppressed = alerting.Suppressed;
        await ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w => AlertJson.WriteAlerts(w, alerts, failures, suppressed));
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
            var result = await Alerts(context).AcknowledgeAsync(fingerprint, by, comment);
            await (result switch
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
            });
        });
    }

    private static Task ListSilencesAsync(HttpContext context) => GuardAsync(context, async () =>
    {
        var silences = await Alerts(context).SilencesAsync();
        var windows = context.RequestServices.GetRequiredService<IRuntimeControl>().Current.Silences;
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        await ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w => AlertJson.WriteSilences(w, silences, windows, now));
    });

    private static async Task CreateSilenceAsync(HttpContext context)
    {
        var body = await AuthorizedJsonAsync(context);
        if (body is null)
        {
            return;
        }

        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var (silence, error) = SilenceRequest.Parse(body.Value, now);
        if (silence is null)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, error!);
            return;
        }

        await GuardAsync(context, async () =>
        {
            await Alerts(context).AddSilenceAsync(silence);
            await ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", "success");
                w.WriteString("silenceID", silence.Id);
                w.WriteEndObject();
            });
        });
    }

    private static async Task DeleteSilenceAsync(HttpContext context, string id)
    {
        if (!await AuthorizedAsync(context))
        {
            return;
        }

        await GuardAsync(context, async () =>
        {
            if (!await Alerts(context).ExpireSilenceAsync(id))
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

        var (alerts, error) = AlertmanagerWebhook.Parse(body.Value);
        if (alerts is null)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, error!);
            return;
        }

        await GuardAsync(context, async () =>
        {
            int changed = await Alerts(context).IngestAsync(alerts);
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
}
