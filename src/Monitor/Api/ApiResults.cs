using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Monitor.Api;

/// <summary>JSON answers of the API: every error is <c>{"status":"error","error":"..."}</c> with a 4xx code.</summary>
internal static class ApiResults
{
    // Answers are application/json, never inlined into HTML, so '+' and non-ASCII stay readable.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static async Task WriteJsonAsync(HttpResponse response, int status, Action<Utf8JsonWriter> write)
    {
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        await using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOptions))
        {
            write(writer);
        }

        await response.BodyWriter.FlushAsync();
    }

    public static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    public static Task SuccessAsync(HttpResponse response) =>
        WriteJsonAsync(response, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "success");
            w.WriteEndObject();
        });

    public static Task ErrorAsync(HttpResponse response, int status, string error, IEnumerable<string>? details = null) =>
        WriteJsonAsync(response, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "error");
            w.WriteString("error", error);
            if (details is not null)
            {
                w.WriteStartArray("errors");
                foreach (var detail in details)
                {
                    w.WriteStringValue(detail);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
}
