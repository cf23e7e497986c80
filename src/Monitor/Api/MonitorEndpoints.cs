using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Scheduling;

namespace Monitor.Api;

/// <summary>The service endpoints of docs/http-api.md: metrics, health, checks and reload.</summary>
internal static class MonitorEndpoints
{
    public static IEndpointRouteBuilder MapMonitorEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", WriteMetricsAsync);
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (CheckScheduler scheduler, Alerting.IAlertService alerts) =>
            !scheduler.Scheduled ? Results.Text("not ready: checks are not scheduled yet\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : alerts.StoreProblem is { } problem ? Results.Text($"not ready: {problem}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text(alerts.IsLeader ? "ready (leader)\n" : "ready (follower)\n"));
        app.MapGet("/api/v1/checks", WriteChecksAsync);
        app.MapPost("/-/reload", ReloadAsync);
        return app;
    }

    private static async Task WriteMetricsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<SeriesStore>();
        services.GetRequiredService<SelfMetrics>().Process.Collect();
        var format = ContentNegotiation.Negotiate(context.Request.Headers.Accept.ToString());
        context.Response.ContentType = ExpositionWriter.ContentType(format);
        await ExpositionWriter.WriteAsync(context.Response.BodyWriter, store, format, context.RequestAborted);
    }

    private static Task WriteChecksAsync(HttpContext context)
    {
        var scheduler = context.RequestServices.GetRequiredService<CheckScheduler>();
        var checks = scheduler.Checks;
        return ApiResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "success");
            w.WriteStartArray("checks");
            foreach (var check in checks)
            {
                WriteCheck(w, check);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void WriteCheck(Utf8JsonWriter w, ScheduledCheck check)
    {
        var options = check.Options;
        var status = check.Status;
        w.WriteStartObject();
        w.WriteString("name", options.Name);
        w.WriteString("kind", options.Kind.Key);
        w.WriteString("target", options.Target);
        w.WriteNumber("interval_seconds", options.Interval.TotalSeconds);
        w.WriteNumber("timeout_seconds", options.Timeout.TotalSeconds);
        w.WriteStartObject("labels");
        foreach (var (name, value) in options.Labels)
        {
            w.WriteString(name, value);
        }

        w.WriteEndObject();
        if (status.Success is { } success)
        {
            w.WriteString("state", success ? "up" : "down");
        }
        else
        {
            w.WriteString("state", "pending");
        }

        w.WriteStartObject("last_run");
        ApiResults.WriteNullable(w, "started_at", status.LastStart is { } started ? ApiResults.Timestamp(started) : null);
        if (status.LastDuration is { } d)
        {
            w.WriteNumber("duration_seconds", d.TotalSeconds);
        }
        else
        {
            w.WriteNull("duration_seconds");
        }

        if (status.Success is { } s)
        {
            w.WriteBoolean("success", s);
        }
        else
        {
            w.WriteNull("success");
        }

        ApiResults.WriteNullable(w, "reason", status.Reason);
        ApiResults.WriteNullable(w, "error", status.Error);
        if (status.Details.Count > 0)
        {
            w.WriteStartArray("details");
            foreach (string detail in status.Details)
            {
                w.WriteStringValue(detail);
            }

            w.WriteEndArray();
        }

        if (status.Parts.Count > 0)
        {
            w.WriteStartArray("failed_parts");
            foreach (var part in status.Parts)
            {
                w.WriteStartObject();
                w.WriteString("part", part.Part);
                w.WriteString("reason", part.Reason);
                w.WriteString("error", part.Error);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        ApiResults.WriteNullable(w, "next_run", status.NextRun is { } next ? ApiResults.Timestamp(next) : null);
        w.WriteNumber("runs", status.Runs);
        w.WriteNumber("failures", status.Failures);
        w.WriteNumber("skipped", status.Skipped);
        w.WriteEndObject();
    }

    private static Task ReloadAsync(HttpContext context)
    {
        var runtime = context.RequestServices.GetRequiredService<IRuntimeControl>();
        if (BearerAuth.Check(context.Request, runtime.Current.Server.ApiToken) is { } denied)
        {
            return ApiResults.ErrorAsync(context.Response, denied.Status, denied.Error);
        }

        var outcome = runtime.Reload("POST /-/reload");
        return outcome.Success
            ? ApiResults.SuccessAsync(context.Response)
            : ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, "invalid configuration; the running configuration is kept", outcome.Errors.Select(e => e.ToString()));
    }
}
