using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Kubernetes;

/// <summary>
/// An HTTPS stand-in for a Kubernetes 1.30 API server: the real paths and list JSON (from
/// tests/fixtures/kubernetes), pods served one per page with continue
/// tokens, a 410 Gone for the first continue token it hands out, bearer-token checks, and optional 403s;
/// the node proxy serves each node's kubelet <c>/metrics/cadvisor</c> and <c>/metrics</c> text from
/// tests/fixtures/kubernetes/kubelet, and answers 503 for a node whose kubelet is down, as the API server does.
/// </summary>
internal sealed class KubeApiStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KubeApiStandIn(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    public Uri BaseUri => new(_app.Urls.First().Replace("127.0.0.1", "localhost", StringComparison.Ordinal));

    public string Token { get; set; } = "token-1";

    public HashSet<string> Forbidden { get; } = [];

    /// <summary>Resources this cluster does not serve: their lists answer 404, as an API server without the group does.</summary>
    public HashSet<string> Missing { get; } = [];

    public int GoneServed { get; private set; }

    /// <summary>Nodes whose kubelet the API server cannot reach: their proxy answers 503.</summary>
    public HashSet<string> KubeletDown { get; } = [];

    /// <summary>
    /// When set, every cAdvisor read is a minute later for the containers of the fixtures: <c>api</c> uses 0.45
    /// of its 0.5 cores and is throttled in half of its 600 CFS periods, <c>trainer</c> is OOM-killed every
    /// fifth minute.
    /// </summary>
    public bool KubeletAdvances { get; set; }

    private readonly Dictionary<string, int> _kubeletReads = [];

    /// <summary>When set, the crash-looping fixture pod restarts once more on every pod list.</summary>
    public bool KeepCrashing { get; set; }

    private int _extraRestarts;

    public List<string> Requests { get; } = [];

    /// <summary>
    /// The events served at <c>/api/v1/events</c> and <c>/api/v1/namespaces/NS/events</c> (tests/fixtures/kubernetes/events.json,
    /// an EventList as kubectl get events -o json prints it), honouring <c>fieldSelector=type=Warning</c>; change
    /// them through <see cref="Repeat"/> and <see cref="AddEvent"/>, which move the list's resourceVersion on.
    /// </summary>
    private readonly List<JsonNode> _events = JsonNode.Parse(Fixture("events.json"))!["items"]!.AsArray().Select(n => n!.DeepClone()).ToList();

    private long _eventsVersion = 48213500;

    /// <summary>When set, an events list with a resourceVersion is answered 410 Gone (the version was compacted away).</summary>
    public bool EventsVersionGone { get; set; }

    public string EventsResourceVersion
    {
        get
        {
            lock (_events)
            {
                return _eventsVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>The event with this uid happened <paramref name="times"/> more times: the API server raises its count (or series.count) in place.</summary>
    public void Repeat(string uid, int times)
    {
        lock (_events)
        {
            var e = _events.Single(e => e["metadata"]!["uid"]!.GetValue<string>() == uid);
            if (e["series"] is JsonObject series)
            {
                series["count"] = series["count"]!.GetValue<int>() + times;
            }
            else
            {
                e["count"] = e["count"]!.GetValue<int>() + times;
            }

            _eventsVersion++;
        }
    }

    /// <summary>A new event (a copy of the one with <paramref name="likeUid"/>, with its own uid and count).</summary>
    public void AddEvent(string likeUid, string uid, string name, int count)
    {
        lock (_events)
        {
            var e = _events.Single(e => e["metadata"]!["uid"]!.GetValue<string>() == likeUid).DeepClone();
            e["metadata"]!["uid"] = uid;
            e["metadata"]!["name"] = name + ".18800000000000" + _events.Count;
            e["involvedObject"]!["name"] = name;
            e["count"] = count;
            e["lastTimestamp"] = "2026-11-22T00:30:00Z";
            _events.Add(e);
            _eventsVersion++;
        }
    }

    /// <summary>Events expire (an hour after their last occurrence by default): the one with this uid is gone.</summary>
    public void ExpireEvent(string uid)
    {
        lock (_events)
        {
            _events.RemoveAll(e => e["metadata"]!["uid"]!.GetValue<string>() == uid);
            _eventsVersion++;
        }
    }

    /// <summary>The pods served (the fixtures', then those of <see cref="AddPod"/>); lock it to change them.</summary>
    private List<JsonNode?> _pods = [];

    /// <summary>Each container instance's log lines (nanoseconds since the epoch, message) by <c>POD/CONTAINER/RESTARTS</c>.</summary>
    private readonly Dictionary<string, List<(long Nanos, string Message)>> _logs = [];

    /// <summary>A running pod with these containers and labels (restart count 0), served by the pod lists.</summary>
    public void AddPod(string ns, string name, string uid, IReadOnlyDictionary<string, string> labels, params string[] containers)
    {
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = uid, ["labels"] = new JsonObject([.. labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]) },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["image"] = c + ":1" })]) },
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["containerStatuses"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["ready"] = true, ["restartCount"] = 0, ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = "2026-12-02T00:00:00Z" } } })]),
            },
        };
        lock (_pods)
        {
            _pods.Add(pod);
        }
    }

    /// <summary>The pod is deleted: gone from the lists, its log endpoint answers 404.</summary>
    public void RemovePod(string name)
    {
        lock (_pods)
        {
            _pods.RemoveAll(p => p!["metadata"]!["name"]!.GetValue<string>() == name && p["metadata"]!["uid"] is not null);
        }
    }

    /// <summary>The container restarted: its restart count goes up and its log starts empty, as a new instance's does.</summary>
    public void Restart(string pod, string container)
    {
        lock (_pods)
        {
            var status = PodNode(pod)!["status"]!["containerStatuses"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == container)!;
            status["restartCount"] = status["restartCount"]!.GetValue<int>() + 1;
        }
    }

    /// <summary>The current instance of the container logs <paramref name="message"/> at <paramref name="nanos"/>.</summary>
    public void Log(string pod, string container, long nanos, string message)
    {
        string key;
        lock (_pods)
        {
            var status = PodNode(pod)!["status"]!["containerStatuses"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == container)!;
            key = $"{pod}/{container}/{status["restartCount"]!.GetValue<int>()}";
        }

        lock (_logs)
        {
            if (!_logs.TryGetValue(key, out var lines))
            {
                lines = _logs[key] = [];
            }

            lines.Add((nanos, message));
        }
    }

    private JsonNode? PodNode(string name) => _pods.Single(p => p!["metadata"]!["name"]!.GetValue<string>() == name);

    /// <summary>Go's RFC3339Nano, as the kubelet prefixes each line with timestamps=true: trailing zeros of the fraction dropped.</summary>
    public static string Rfc3339Nano(long nanos)
    {
        string fraction = (nanos % 1_000_000_000).ToString("D9", System.Globalization.CultureInfo.InvariantCulture).TrimEnd('0');
        return DateTime.UnixEpoch.AddSeconds(nanos / 1_000_000_000).ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "") + "Z";
    }

    /// <summary>
    /// <c>GET /api/v1/namespaces/NS/pods/POD/log</c> as the API server answers it: text lines, the named container's
    /// (required when the pod has more than one), its current instance (or the one before with previous=true),
    /// prefixed by RFC3339Nano timestamps with timestamps=true, from sinceTime (parsed at second resolution, as
    /// metav1.Time is), cut after limitBytes even in the middle of a line.
    /// </summary>
    private IResult PodLog(HttpContext context, string ns, string name)
    {
        JsonNode? pod;
        lock (_pods)
        {
            pod = _pods.SingleOrDefault(p => p!["metadata"]!["name"]!.GetValue<string>() == name && p["metadata"]!["namespace"]!.GetValue<string>() == ns)?.DeepClone();
        }

        if (pod is null)
        {
            return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = $"pods \"{name}\" not found", reason = "NotFound", details = new { name, kind = "pods" }, code = 404 }, statusCode: 404);
        }

        var statuses = pod["status"]!["containerStatuses"]!.AsArray();
        string? container = context.Request.Query["container"];
        if (container is null && statuses.Count != 1)
        {
            return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = $"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', statuses.Select(c => c!["name"]!.GetValue<string>()))}]", reason = "BadRequest", code = 400 }, statusCode: 400);
        }

        var status = statuses.SingleOrDefault(c => c!["name"]!.GetValue<string>() == (container ?? statuses[0]!["name"]!.GetValue<string>()));
        if (status is null)
        {
            return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = $"container {container} is not valid for pod {name}", reason = "BadRequest", code = 400 }, statusCode: 400);
        }

        int restarts = status["restartCount"]!.GetValue<int>() - (context.Request.Query["previous"] == "true" ? 1 : 0);
        long since = long.MinValue;
        if (context.Request.Query["sinceTime"].ToString() is { Length: > 0 } sinceTime)
        {
            since = DateTimeOffset.Parse(sinceTime, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds() * 1_000_000_000;
        }

        bool timestamps = context.Request.Query["timestamps"] == "true";
        var text = new System.Text.StringBuilder();
        lock (_logs)
        {
            foreach (var (nanos, message) in _logs.GetValueOrDefault($"{name}/{status["name"]!.GetValue<string>()}/{restarts}") ?? [])
            {
                if (nanos >= since)
                {
                    text.Append(timestamps ? Rfc3339Nano(nanos) + " " : "").Append(message).Append('\n');
                }
            }
        }

        byte[] body = System.Text.Encoding.UTF8.GetBytes(text.ToString());
        if (long.TryParse(context.Request.Query["limitBytes"], System.Globalization.CultureInfo.InvariantCulture, out long limit) && limit < body.Length)
        {
            body = body[..(int)limit];
        }

        LogBytesServed += body.Length;
        return Results.Bytes(body, "text/plain");
    }

    /// <summary>Bytes of pod logs served so far.</summary>
    public long LogBytesServed { get; private set; }

    private static string Fixture(string name) => File.ReadAllText(Repository.Fixture("kubernetes", name));

    public static async Task<KubeApiStandIn> StartAsync()
    {
        var certificate = TargetServer.SelfSigned(TimeSpan.FromDays(30));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.UseHttps(certificate)));
        var app = builder.Build();
        var standIn = new KubeApiStandIn(app, certificate);
        var pods = standIn._pods = JsonNode.Parse(Fixture("pod-crashloop.json"))!["items"]!.AsArray().Select(n => n!.DeepClone())
            .Concat(JsonNode.Parse(Fixture("pods-extra.json"))!["items"]!.AsArray().Select(n => n!.DeepClone())).ToList<JsonNode?>();

        app.Use(async (context, next) =>
        {
            lock (standIn.Requests)
            {
                standIn.Requests.Add(context.Request.Path + context.Request.QueryString);
            }

            if (context.Request.Headers.Authorization.ToString() != $"Bearer {standIn.Token}")
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", message = "Unauthorized", reason = "Unauthorized", code = 401 });
                return;
            }

            string resource = context.Request.Path.Value!.Contains("/proxy/", StringComparison.Ordinal) ? "nodes/proxy" : context.Request.Path.Value!.Split('/')[^1];
            if (standIn.Missing.Contains(resource))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", message = "the server could not find the requested resource", reason = "NotFound", code = 404 });
                return;
            }

            if (standIn.Forbidden.Contains(resource))
            {
                context.Response.StatusCode = 403;
                await context.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", message = $"{resource} is forbidden: User \"system:serviceaccount:monitoring:monitor\" cannot {(resource == "nodes/proxy" ? "get" : "list")} resource \"{resource.Split('/')[0]}\"{(resource == "nodes/proxy" ? " subresource \"proxy\"" : "")} in API group \"\" at the cluster scope", reason = "Forbidden", code = 403 });
                return;
            }

            await next(context);
        });

        IResult Pods(HttpContext context, string? ns)
        {
            if (standIn.KeepCrashing && context.Request.Query["continue"].Count == 0)
            {
                standIn._extraRestarts++;
                var status = pods[0]!["status"]!["containerStatuses"]![0]!;
                status["restartCount"] = 14 + standIn._extraRestarts;
            }

            // Equality label selectors (app=api,tier=web), as the pods' logs check sends them.
            var selector = (context.Request.Query["labelSelector"].ToString() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Split('=', 2)).ToList();
            List<JsonNode?> selected;
            lock (pods)
            {
                selected = pods.Where(p => ns is null || p!["metadata"]!["namespace"]!.GetValue<string>() == ns)
                    .Where(p => selector.All(t => p!["metadata"]!["labels"]?[t[0]]?.GetValue<string>() == t[^1]))
                    .Select(p => (JsonNode?)p!.DeepClone()).ToList();
            }

            string? cont = context.Request.Query["continue"];
            int index = cont is null ? 0 : int.Parse(cont[1..], System.Globalization.CultureInfo.InvariantCulture);
            if (cont == "p1" && standIn.GoneServed == 0)
            {
                standIn.GoneServed++;
                return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = "The provided continue parameter is too old", reason = "Expired", code = 410 }, statusCode: 410);
            }

            // One pod per page, whatever the limit: clients must follow continue.
            var page = new JsonObject
            {
                ["kind"] = "PodList",
                ["apiVersion"] = "v1",
                ["metadata"] = index + 1 < selected.Count ? new JsonObject { ["resourceVersion"] = "1", ["continue"] = $"p{index + 1}" } : new JsonObject { ["resourceVersion"] = "1" },
                ["items"] = new JsonArray([.. selected.Skip(index).Take(1).Select(p => p!.DeepClone())]),
            };
            return Results.Content(page.ToJsonString(), "application/json");
        }

        IResult List(string fixture, string? ns)
        {
            var list = JsonNode.Parse(Fixture(fixture))!;
            var items = list["items"]!.AsArray().Where(i => ns is null || i!["metadata"]!["namespace"]?.GetValue<string>() == ns).Select(i => i!.DeepClone()).ToArray();
            list["items"] = new JsonArray(items);
            return Results.Content(list.ToJsonString(), "application/json");
        }

        IResult Events(HttpContext context, string? ns)
        {
            string? selector = context.Request.Query["fieldSelector"];
            if (context.Request.Query["resourceVersion"].Count > 0 && standIn.EventsVersionGone)
            {
                return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = "too old resource version: 48213500 (48300000)", reason = "Expired", code = 410 }, statusCode: 410);
            }

            if (selector is not null && selector != "type=Warning")
            {
                return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = $"the stand-in knows no field selector \"{selector}\"", reason = "BadRequest", code = 400 }, statusCode: 400);
            }

            lock (standIn._events)
            {
                var items = standIn._events
                    .Where(e => ns is null || e["metadata"]!["namespace"]!.GetValue<string>() == ns)
                    .Where(e => selector is null || e["type"]!.GetValue<string>() == "Warning")
                    .Select(e => e.DeepClone());
                var list = new JsonObject
                {
                    ["kind"] = "EventList",
                    ["apiVersion"] = "v1",
                    ["metadata"] = new JsonObject { ["resourceVersion"] = standIn._eventsVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    ["items"] = new JsonArray([.. items]),
                };
                return Results.Content(list.ToJsonString(), "application/json");
            }
        }

        IResult Kubelet(string node, string endpoint)
        {
            if (standIn.KubeletDown.Contains(node))
            {
                return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = $"error trying to reach service: dial tcp 10.0.1.{(node.EndsWith('2') ? 12 : 11)}:10250: connect: connection refused", reason = "ServiceUnavailable", code = 503 }, statusCode: 503);
            }

            string path = Repository.Fixture("kubernetes", Path.Combine("kubelet", $"{node}-{endpoint}.txt"));
            return File.Exists(path)
                ? Results.Text(standIn.KubeletAdvances && endpoint == "cadvisor" ? standIn.Advance(node, File.ReadAllText(path)) : File.ReadAllText(path), "text/plain; version=0.0.4; charset=utf-8")
                : Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = $"nodes \"{node}\" not found", reason = "NotFound", details = new { name = node, kind = "nodes" }, code = 404 }, statusCode: 404);
        }

        app.MapGet("/api/v1/nodes/{node}/proxy/metrics/cadvisor", (string node) => Kubelet(node, "cadvisor"));
        app.MapGet("/api/v1/nodes/{node}/proxy/metrics", (string node) => Kubelet(node, "metrics"));
        foreach (var (group, resource) in new[] { ("autoscaling/v2", "horizontalpodautoscalers"), ("batch/v1", "jobs"), ("batch/v1", "cronjobs"), ("apps/v1", "statefulsets"), ("apps/v1", "daemonsets") })
        {
            string fixture = resource == "horizontalpodautoscalers" ? "hpas.json" : resource + ".json";
            app.MapGet($"/apis/{group}/{resource}", () => List(fixture, null));
            app.MapGet($"/apis/{group}/namespaces/{{ns}}/{resource}", (string ns) => List(fixture, ns));
        }

        app.MapGet("/api/v1/pods", (HttpContext c) => Pods(c, null));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{pod}/log", (HttpContext c, string ns, string pod) => standIn.PodLog(c, ns, pod));
        app.MapGet("/api/v1/namespaces/{ns}/pods", (HttpContext c, string ns) => Pods(c, ns));
        app.MapGet("/api/v1/events", (HttpContext c) => Events(c, null));
        app.MapGet("/api/v1/namespaces/{ns}/events", (HttpContext c, string ns) => Events(c, ns));
        app.MapGet("/api/v1/nodes", () => List("nodes.json", null));
        app.MapGet("/api/v1/persistentvolumeclaims", () => List("pvcs.json", null));
        app.MapGet("/api/v1/namespaces/{ns}/persistentvolumeclaims", (string ns) => List("pvcs.json", ns));
        app.MapGet("/apis/apps/v1/deployments", () => List("deployments.json", null));
        app.MapGet("/api/v1/services", () => List("services.json", null));
        app.MapGet("/api/v1/namespaces/{ns}/services", (string ns) => List("services.json", ns));
        app.MapGet("/apis/apps/v1/namespaces/{ns}/deployments", (string ns) => List("deployments.json", ns));
        await app.StartAsync();
        return standIn;
    }

    private string Advance(string node, string text)
    {
        int minutes;
        lock (_kubeletReads)
        {
            minutes = _kubeletReads[node] = _kubeletReads.GetValueOrDefault(node) + 1;
        }

        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            double step = line switch
            {
                _ when line.StartsWith("container_cpu_usage_seconds_total{container=\"api\"", StringComparison.Ordinal) => 27,
                _ when line.StartsWith("container_cpu_cfs_periods_total{container=\"api\"", StringComparison.Ordinal) => 600,
                _ when line.StartsWith("container_cpu_cfs_throttled_periods_total{container=\"api\"", StringComparison.Ordinal) => 300,
                _ when line.StartsWith("container_oom_events_total{container=\"trainer\"", StringComparison.Ordinal) => 0.2,
                _ => 0,
            };
            if (step == 0)
            {
                continue;
            }

            string[] parts = line.Split(' '); // name{labels} value timestamp; no label value of these has a space
            double value = double.Parse(parts[^2], System.Globalization.CultureInfo.InvariantCulture) + Math.Floor(step * minutes);
            parts[^2] = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            lines[i] = string.Join(' ', parts);
        }

        return string.Join('\n', lines);
    }

    /// <summary>A kubeconfig for this server: its CA as certificate-authority-data and a token file.</summary>
    public string WriteKubeconfig(string dir, string tokenFile)
    {
        string ca = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Certificate.ExportCertificatePem()));
        string path = Path.Combine(dir, "kubeconfig");
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: standin
              cluster:
                server: {{BaseUri.ToString().TrimEnd('/')}}
                certificate-authority-data: {{ca}}
            users:
            - name: monitor
              user:
                tokenFile: {{tokenFile}}
            contexts:
            - name: other
              context: { cluster: nowhere, user: nobody }
            - name: test
              context:
                cluster: standin
                user: monitor
            """);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
