using System.Text.Json;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>What a webhook receiver was told, read per firing episode: an alert (fingerprint) and when it began.</summary>
internal static class WebhookEpisodes
{
    /// <summary>Per episode (fingerprint, startsAt): the distinct Idempotency-Keys that told it firing and resolved.</summary>
    public static Dictionary<(string Fingerprint, string StartsAt), (HashSet<string> Firing, HashSet<string> Resolved)> Analyse(IReadOnlyList<RecordedRequest> requests)
    {
        var episodes = new Dictionary<(string, string), (HashSet<string>, HashSet<string>)>();
        foreach (var request in requests)
        {
            string key = request.Headers["Idempotency-Key"];
            using var document = JsonDocument.Parse(request.Body);
            foreach (var alert in document.RootElement.GetProperty("alerts").EnumerateArray())
            {
                var id = (alert.GetProperty("fingerprint").GetString()!, alert.GetProperty("startsAt").GetString()!);
                if (!episodes.TryGetValue(id, out var e))
                {
                    e = ([], []);
                    episodes[id] = e;
                }

                (alert.GetProperty("status").GetString() == "resolved" ? e.Item2 : e.Item1).Add(key);
            }
        }

        return episodes;
    }

    /// <summary>One line per request: arrival, the key's tail, and each alert as check:status@startsAt.</summary>
    public static string Describe(IReadOnlyList<RecordedRequest> requests) =>
        string.Join("\n", requests.Select(r =>
        {
            using var document = JsonDocument.Parse(r.Body);
            var alerts = document.RootElement.GetProperty("alerts").EnumerateArray()
                .Select(a => $"{a.GetProperty("labels").GetProperty("check").GetString()}:{a.GetProperty("status").GetString()}@{a.GetProperty("startsAt").GetString()}");
            return $"{r.At:HH:mm:ss.fff} {r.Headers["Idempotency-Key"][^8..]} {string.Join(" ", alerts)}";
        }));
}
