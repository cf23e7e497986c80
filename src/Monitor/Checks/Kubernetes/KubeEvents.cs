using System.Globalization;
using System.Text.Json;
using Monitor.Metrics;

namespace Monitor.Checks.Kubernetes;

/// <summary>
/// Warning events of the check's namespaces as <c>monitor_kubernetes_events_total{namespace, kind, reason, type}</c>,
/// each occurrence counted once. The API server folds repetitions of an event into one object whose <c>count</c>
/// (or <c>series.count</c>) rises, so what is counted is how far each event's count rose since the last run,
/// per event uid; uids gone from the list (events expire, an hour by default) are forgotten. Each list asks for a
/// state not older than the previous one (<c>resourceVersion</c> with <c>resourceVersionMatch=NotOlderThan</c>), so
/// an API server behind the others cannot hand back older counts. On the first run after a start the counts seen
/// are the baseline and nothing is counted: what happened before the start is not counted again after a restart.
/// The object's name is no label (it would make a series per pod); the latest events name it in the run's details.
/// </summary>
internal sealed class KubeEvents
{
    public const string Family = "monitor_kubernetes_events_total";
    private const string Help = "Occurrences of Warning events of the watched namespaces since the check started, by involved object kind and reason.";
    private const string Selector = "fieldSelector=type%3DWarning";
    private const int LatestShown = 5;
    private const int MessageLength = 300;

    private Dictionary<string, double> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);
    private readonly HashSet<Series> _series = SeriesGeneration.NewSet();
    private bool _baselined;

    /// <summary>Event uids remembered (those of the last list).</summary>
    public int Remembered => _seen.Count;

    /// <summary>
    /// Lists the Warning events, adds each event's new occurrences to its counter and returns the latest few as
    /// "namespace/kind/name: reason: message". A failed list changes nothing.
    /// </summary>
    public async Task<IReadOnlyList<string>> CollectAsync(KubeClient client, IReadOnlyList<string> namespaces, SeriesScope scope, HashSet<Series> published, CancellationToken cancellationToken)
    {
        IEnumerable<(string Path, string Resource)> lists = namespaces.Count == 0
            ? [("/api/v1/events", "events")]
            : namespaces.Select(ns => ($"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/events", $"events in namespace {ns}"));
        var events = new List<JsonElement>();
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, resource) in lists)
        {
            string query = _versions.TryGetValue(path, out string? since)
                ? $"{Selector}&resourceVersion={Uri.EscapeDataString(since)}&resourceVersionMatch=NotOlderThan"
                : Selector;
            // A 410 for the remembered version: list the current state; the per-uid counts still count each occurrence once.
            var (items, version) = await client.ListVersionedAsync(path, resource, query, cancellationToken, restartQuery: Selector);
            events.AddRange(items);
            if (version is not null)
            {
                versions[path] = version;
            }
        }

        // Every list answered: only now does the state move on.
        foreach (var (path, version) in versions)
        {
            _versions[path] = version;
        }

        var current = new Dictionary<string, double>(StringComparer.Ordinal);
        var warnings = new List<JsonElement>();
        foreach (var item in events)
        {
            if (Field(item, "type") != "Warning" || Meta(item, "uid") is not { Length: > 0 } uid)
            {
                continue; // a server that ignored the field selector
            }

            warnings.Add(item);
            double count = Occurrences(item);
            bool known = _seen.TryGetValue(uid, out double previous);
            double increase = !_baselined ? 0 : known ? Math.Max(0, count - previous) : count;
            current[uid] = known ? Math.Max(count, previous) : count;

            string ns = Meta(item, "namespace") is { Length: > 0 } own ? own : Involved(item, "namespace");
            var counter = scope.Counter(Family, Help, new Label("namespace", ns), new Label("kind", Involved(item, "kind")), new Label("reason", Field(item, "reason")), new Label("type", "Warning"));
            if (increase > 0)
            {
                counter.Add(increase);
            }

            _series.Add(counter);
        }

        _seen = current;
        _baselined = true;
        published.UnionWith(_series);

        return [.. warnings.OrderByDescending(LastSeen).Take(LatestShown).Select(Describe)];
    }

    /// <summary>How often the event happened: <c>count</c> (core v1) or <c>series.count</c> (events.k8s.io), at least once.</summary>
    private static double Occurrences(JsonElement item)
    {
        double count = 1;
        if (item.TryGetProperty("count", out var c) && c.ValueKind == JsonValueKind.Number)
        {
            count = Math.Max(count, c.GetDouble());
        }

        if (item.TryGetProperty("series", out var series) && series.ValueKind == JsonValueKind.Object && series.TryGetProperty("count", out var sc) && sc.ValueKind == JsonValueKind.Number)
        {
            count = Math.Max(count, sc.GetDouble());
        }

        return count;
    }

    private static DateTimeOffset LastSeen(JsonElement item)
    {
        var times = new[]
        {
            item.TryGetProperty("series", out var series) && series.ValueKind == JsonValueKind.Object && series.TryGetProperty("lastObservedTime", out var observed) ? observed.GetString() : null,
            Field(item, "lastTimestamp"),
            Field(item, "eventTime"),
            Field(item, "firstTimestamp"),
            Meta(item, "creationTimestamp"),
        };
        return times.Select(t => DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue).Max();
    }

    private static string Describe(JsonElement item)
    {
        string message = Field(item, "message").ReplaceLineEndings(" ").Trim();
        if (message.Length > MessageLength)
        {
            message = message[..MessageLength] + "…";
        }

        string ns = Meta(item, "namespace") is { Length: > 0 } own ? own : Involved(item, "namespace");
        return $"{ns}/{Involved(item, "kind")}/{Involved(item, "name")}: {Field(item, "reason")}: {message}";
    }

    private static string Field(JsonElement item, string name) =>
        item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty : string.Empty;

    private static string Meta(JsonElement item, string name) =>
        item.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object ? Field(meta, name) : string.Empty;

    private static string Involved(JsonElement item, string name) =>
        item.TryGetProperty("involvedObject", out var o) && o.ValueKind == JsonValueKind.Object ? Field(o, name) : string.Empty;
}
