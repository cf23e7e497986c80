using System.Text.Json;
using Monitor.Alerting;
using static Monitor.Api.RequestJson;

namespace Monitor.Api;

/// <summary>
/// A silence in Alertmanager's API v2 shape: <c>matchers</c> as a list of {name, value, isRegex, isEqual} (or a
/// plain label → value object), <c>startsAt</c> (default now), <c>endsAt</c>, <c>createdBy</c>, <c>comment</c>.
/// </summary>
internal static class SilenceRequest
{
    public static (Silence? Silence, string? Error) Parse(JsonElement body, DateTimeOffset now)
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

        // Bounded, so no time computed from a silence can overflow; far enough for a "permanent" silence to 2099.
        if (endsAt - now > Monitor.Configuration.PromDuration.MaxSilence)
        {
            return (null, $"endsAt: at most {Monitor.Configuration.PromDuration.Format(Monitor.Configuration.PromDuration.MaxSilence)} from now");
        }

        if (!TryText(body, "createdBy", required: true, out string createdBy, out error) || !TryText(body, "comment", required: false, out string comment, out error))
        {
            return (null, error);
        }

        return (new Silence { Id = Guid.NewGuid().ToString(), Matchers = matchers, StartsAt = start, EndsAt = endsAt.Value, CreatedBy = createdBy, Comment = comment }, null);
    }
}
