using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Monitor.Api;

/// <summary>Reading API requests: the bearer token of mutations, JSON bodies and their fields, with the field in every error.</summary>
internal static class RequestJson
{
    /// <summary>Longest text kept of a request field (a name, a comment).</summary>
    public const int MaxText = 1024;

    public static string Clip(string text) => text.Length > MaxText ? text[..MaxText] : text;

    /// <summary>True when the bearer token allows a mutation; otherwise false after answering 401 or 403.</summary>
    public static async Task<bool> AuthorizedAsync(HttpContext context)
    {
        var token = context.RequestServices.GetRequiredService<IRuntimeControl>().Current.Server.ApiToken;
        if (BearerAuth.Check(context.Request, token) is { } denied)
        {
            await ApiResults.ErrorAsync(context.Response, denied.Status, denied.Error);
            return false;
        }

        return true;
    }

    /// <summary>The body of an authorised mutation as JSON, or null after answering 401, 403 or 400.</summary>
    public static async Task<JsonElement?> AuthorizedJsonAsync(HttpContext context) =>
        await AuthorizedAsync(context) ? await ReadJsonAsync(context) : null;

    /// <summary>The body as JSON, or null after answering 400.</summary>
    public static async Task<JsonElement?> ReadJsonAsync(HttpContext context)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            if (InvalidText(document.RootElement, "") is { } where)
            {
                await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, $"invalid JSON: {where}: string is not valid UTF-8 (or holds a lone surrogate escape)");
                return null;
            }

            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await ApiResults.ErrorAsync(context.Response, StatusCodes.Status400BadRequest, "invalid JSON: " + e.Message);
            return null;
        }
    }

    /// <summary>
    /// Where the first string or property name that cannot be read as text is (<c>alerts[0].labels.service</c>;
    /// <c>body</c> for the top level), or null when all can. The parser accepts invalid UTF-8 and lone surrogate
    /// escapes inside strings; reading such a string later would throw, so the whole body is refused up front.
    /// </summary>
    internal static string? InvalidText(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(element) ? null : Where(path);
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return $"{Where(path)}: a property name";
                    }

                    if (InvalidText(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (InvalidText(item, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]") is { } inner)
                    {
                        return inner;
                    }

                    i++;
                }

                return null;
            default:
                return null;
        }

        static string Where(string path) => path.Length == 0 ? "body" : path;

        static bool Readable(JsonElement s)
        {
            try
            {
                _ = s.GetString();
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    public static bool TryText(JsonElement body, string name, bool required, out string value, out string? error)
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

    public static bool TryTime(JsonElement body, string name, out DateTimeOffset? value, out string? error)
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

    /// <summary>An object of string values (labels, annotations); a missing or null one is empty.</summary>
    public static (Dictionary<string, string>? Map, string? Error) Map(JsonElement item, string name)
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
}
