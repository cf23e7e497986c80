using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monitor.Checks.Kubernetes;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Kubernetes;

/// <summary>
/// <c>kube-load [NODES] [PODS] [RUNS]</c>: one Kubernetes check (kube-state families, usage through the node
/// proxy, events) against a synthetic cluster served by an in-process API server of pre-encoded pages (500 items
/// a page, <c>continue</c> tokens, kubelet cAdvisor and volume text per node), built from the items of
/// tests/fixtures/kubernetes. Reports CPU and wall time per run, series published and memory; the CPU of serving
/// the same requests, measured by fetching them alone, is subtracted to give the check's own.
/// <c>kube-logs [PODS] [LINES_PER_SECOND] [SECONDS]</c>: the logs check over that many pods written at that
/// total rate, run every second.
/// </summary>
internal static class KubeLoadHarness
{
    private const int PageSize = 500;

    public static async Task<int> RunAsync(string[] args)
    {
        int nodes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        int pods = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
        int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        var cluster = Cluster.Build(nodes, pods);
        await using var server = await ApiServer.StartAsync(cluster);
        string dir = Directory.CreateTempSubdirectory("kube-load-").FullName;
        string kubeconfig = server.WriteKubeconfig(dir);

        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = new KubernetesCheckOptions { Kubeconfig = kubeconfig, UsageMaxSeries = 1_000_000, Discovery = false, Usage = args.Length <= 3 || args[3] != "no-usage" },
            Interval = TimeSpan.FromSeconds(60),
            Timeout = TimeSpan.FromSeconds(60),
        };
        using var check = new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), TimeProvider.System);
        var first = await check.RunAsync(CancellationToken.None);
        if (!first.Success)
        {
            Console.Error.WriteLine($"first run failed: {first.Reason}: {first.Error}");
            return 1;
        }

        var cpu = new List<double>();
        var wall = new List<double>();
        var serving = new List<double>();
        using var fetcher = new HttpClient();
        fetcher.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "bench-token");
        for (int i = 0; i < runs; i++)
        {
            server.Requests.Clear();
            GC.Collect();
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var result = await check.RunAsync(CancellationToken.None);
            wall.Add(clock.Elapsed.TotalMilliseconds);
            cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds);
            if (!result.Success)
            {
                Console.Error.WriteLine($"run {i} failed: {result.Reason}: {result.Error}");
                return 1;
            }

            // The same requests again, the bytes read and dropped: what serving and transport cost.
            string[] requested = [.. server.Requests];
            GC.Collect();
            before = Process.GetCurrentProcess().TotalProcessorTime;
            await Parallel.ForEachAsync(requested, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (path, ct) =>
            {
                using var response = await fetcher.GetAsync(server.Base + path, HttpCompletionOption.ResponseHeadersRead, ct);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await body.CopyToAsync(Stream.Null, ct);
            });
            serving.Add((Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds);
        }

        int series = Exposition(store);
        GC.Collect();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        long rss = Process.GetCurrentProcess().WorkingSet64;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.WriteLine(FormattableString.Invariant($"cluster: {nodes} nodes, {pods} pods, {cluster.Bytes / 1e6:0.0} MB of lists, {cluster.KubeletBytes / 1e6:0.0} MB of kubelet text per run, {server.Requests.Count} requests per run"));
        Console.WriteLine(FormattableString.Invariant($"runs: {runs}; wall median {Statistics.Median(wall):0} ms (max {wall.Max():0}); process CPU median {Statistics.Median(cpu):0} ms; serving alone median {Statistics.Median(serving):0} ms; check CPU median {Statistics.Median(cpu.Zip(serving, (a, b) => a - b).ToList()):0} ms"));
        Console.WriteLine(FormattableString.Invariant($"series published: {series}; managed heap after GC {managed / (1024.0 * 1024):0} MiB; RSS {rss / (1024.0 * 1024):0} MiB (peak {peak / (1024.0 * 1024):0} MiB, the fixture server's pages included)"));
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    public static async Task<int> RunLogsAsync(string[] args)
    {
        int podCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        int rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        int seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
        var cluster = Cluster.Build(Math.Max(1, podCount / 40), podCount, labels: true);
        await using var server = await ApiServer.StartAsync(cluster);
        string dir = Directory.CreateTempSubdirectory("kube-logs-").FullName;
        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "pods",
            Kind = LogsCheck.Kind,
            Settings = new LogsCheckOptions
            {
                Kubernetes = new KubernetesLogsSource(server.WriteKubeconfig(dir), "ns-0", "app=bench", "app"),
                Patterns =
                [
                    new LogPattern("error", "ERROR|FATAL", Monitor.GoCompat.GoRegex.Compile("ERROR|FATAL", out _)!.Regex),
                ],
                LastLines = 5,
                StateFile = Path.Combine(dir, "state"),
            },
            Interval = TimeSpan.FromSeconds(1),
            Timeout = TimeSpan.FromSeconds(1),
        };
        using var check = new LogsCheck(options, new SeriesScope(store, "pods", new Dictionary<string, string>()));
        await check.RunAsync(CancellationToken.None);

        using var cancel = new CancellationTokenSource();
        long written = 0, errors = 0;
        var writer = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            while (!cancel.IsCancellationRequested)
            {
                long due = (long)(clock.Elapsed.TotalSeconds * rate);
                for (; written < due; written++)
                {
                    bool error = written % 50 == 0;
                    errors += error ? 1 : 0;
                    server.Log($"pod-{written % podCount}", $"{(error ? "ERROR" : "INFO ")} request {written} served in 12 ms by worker-7 for /api/v1/items?page=3");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
            }
        });

        var cpu = new List<double>();
        var wall = new List<double>();
        var end = Stopwatch.StartNew();
        while (end.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var tick = Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System);
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var result = await check.RunAsync(CancellationToken.None);
            wall.Add(clock.Elapsed.TotalMilliseconds);
            cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds);
            if (!result.Success)
            {
                Console.Error.WriteLine($"run failed: {result.Reason}: {result.Error}");
            }

            await tick;
        }

        await cancel.CancelAsync();
        await writer;

        // Lines are read up to the last whole second; two more runs a second apart read the rest.
        await Task.Delay(TimeSpan.FromMilliseconds(1100), TimeProvider.System);
        await check.RunAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(1100), TimeProvider.System);
        await check.RunAsync(CancellationToken.None);
        double counted = Sum(store, "monitor_log_read_lines_total"), matched = Sum(store, "monitor_log_lines_total");
        Console.WriteLine(FormattableString.Invariant($"{podCount} pods, {rate} lines/s for {seconds} s: written {written} (errors {errors}), counted {counted} (errors {matched})"));
        Console.WriteLine(FormattableString.Invariant($"runs: {wall.Count}; wall median {Statistics.Median(wall):0.0} ms (max {wall.Max():0.0}); process CPU median {Statistics.Median(cpu):0.0} ms a run (serving the logs included) = {Statistics.Median(cpu) / 10:0.0} % of a core"));
        Directory.Delete(dir, recursive: true);
        return counted == written && matched == errors ? 0 : 1;
    }

    private static double Sum(SeriesStore store, string family) =>
        store.Find(family)?.Snapshot.OfType<Sample>().Sum(s => s.Value) ?? 0;

    private static int Exposition(SeriesStore store)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        ExpositionWriter.Write(buffer, store, ExpositionFormat.Text004);
        return Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n').Count(l => l.Length > 0 && l[0] != '#');
    }

    /// <summary>The synthetic cluster: every list's items as JSON, and each node's kubelet text.</summary>
    private sealed class Cluster
    {
        public Dictionary<string, List<string>> Lists { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (byte[] Cadvisor, byte[] Metrics)> Kubelets { get; } = new(StringComparer.Ordinal);

        public long Bytes { get; private set; }

        public long KubeletBytes { get; private set; }

        public static Cluster Build(int nodes, int pods, bool labels = false)
        {
            string fixtures = Path.Combine(RepositoryRoot(), "tests", "fixtures", "kubernetes");
            JsonNode Template(string file, int index = 0) => JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, file)))!["items"]![index]!;
            var cluster = new Cluster();
            int namespaces = Math.Max(1, Math.Min(50, pods / 400));
            string Ns(int i) => $"ns-{i % namespaces}";

            var nodeTemplate = Template("nodes.json");
            var nodeList = new List<string>();
            for (int n = 0; n < nodes; n++)
            {
                var node = nodeTemplate.DeepClone();
                Rename(node, $"node-{n:D4}", null, n);
                nodeList.Add(node.ToJsonString());
            }

            cluster.Lists["/api/v1/nodes"] = nodeList;

            var podTemplate = Template("pods-extra.json", 1);
            var podList = new List<string>();
            var perNode = new Dictionary<int, List<(string Ns, string Pod)>>();
            for (int p = 0; p < pods; p++)
            {
                var pod = podTemplate.DeepClone();
                string ns = labels ? "ns-0" : Ns(p);
                Rename(pod, $"pod-{p}", ns, p);
                int node = p % nodes;
                pod["spec"]!["nodeName"] = $"node-{node:D4}";
                pod["metadata"]!["labels"] = new JsonObject { ["app"] = "bench" };
                foreach (var container in pod["spec"]!["containers"]!.AsArray())
                {
                    container!["name"] = "app";
                }

                foreach (var status in pod["status"]!["containerStatuses"]!.AsArray())
                {
                    status!["name"] = "app";
                    status["restartCount"] = 0;
                }

                podList.Add(pod.ToJsonString());
                (perNode.TryGetValue(node, out var list) ? list : perNode[node] = []).Add((ns, $"pod-{p}"));
            }

            cluster.Lists["/api/v1/pods"] = podList;
            cluster.Lists["/api/v1/namespaces/ns-0/pods"] = labels ? podList : [.. podList.Where(p => p.Contains("\"namespace\":\"ns-0\"", StringComparison.Ordinal))];

            void Copies(string path, string file, int count)
            {
                var template = Template(file);
                cluster.Lists[path] = [.. Enumerable.Range(0, count).Select(i =>
                {
                    var item = template.DeepClone();
                    Rename(item, $"{template["metadata"]!["name"]!.GetValue<string>()}-{i}", Ns(i), i);
                    return item.ToJsonString();
                })];
            }

            Copies("/apis/apps/v1/deployments", "deployments.json", pods / 10);
            Copies("/api/v1/services", "services.json", pods / 10);
            Copies("/api/v1/persistentvolumeclaims", "pvcs.json", pods / 20);
            Copies("/apis/autoscaling/v2/horizontalpodautoscalers", "hpas.json", pods / 100);
            Copies("/apis/batch/v1/jobs", "jobs.json", pods / 200);
            Copies("/apis/batch/v1/cronjobs", "cronjobs.json", pods / 400);
            Copies("/apis/apps/v1/statefulsets", "statefulsets.json", pods / 400);
            Copies("/apis/apps/v1/daemonsets", "daemonsets.json", 5);
            Copies("/api/v1/events", "events.json", pods / 40);
            cluster.Bytes = cluster.Lists.Values.Sum(l => l.Sum(i => (long)i.Length));

            for (int n = 0; n < nodes; n++)
            {
                var text = new StringBuilder();
                var volumes = new StringBuilder();
                var onNode = perNode.GetValueOrDefault(n) ?? [];
                foreach (var (family, type) in new[] { ("container_cpu_usage_seconds_total", "counter"), ("container_memory_working_set_bytes", "gauge"), ("container_oom_events_total", "counter"), ("container_cpu_cfs_periods_total", "counter"), ("container_cpu_cfs_throttled_periods_total", "counter") })
                {
                    text.Append(CultureInfo.InvariantCulture, $"# HELP {family} Synthetic {family}.\n# TYPE {family} {type}\n");
                    foreach (var (ns, pod) in onNode)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"{family}{{container=\"app\",id=\"/kubepods/burstable/pod{pod}/0123456789ab\",image=\"registry.example/app:1.0\",name=\"0123456789ab\",namespace=\"{ns}\",pod=\"{pod}\"}} {1234.5 + pod.Length} 1764637200000\n");
                        text.Append(CultureInfo.InvariantCulture, $"{family}{{container=\"\",id=\"/kubepods/burstable/pod{pod}\",image=\"\",name=\"\",namespace=\"{ns}\",pod=\"{pod}\"}} {1300.5 + pod.Length} 1764637200000\n");
                    }
                }

                foreach (var family in new[] { "kubelet_volume_stats_used_bytes", "kubelet_volume_stats_capacity_bytes", "kubelet_volume_stats_inodes", "kubelet_volume_stats_inodes_used" })
                {
                    volumes.Append(CultureInfo.InvariantCulture, $"# HELP {family} Synthetic.\n# TYPE {family} gauge\n");
                    foreach (var (ns, pod) in onNode.Take(2))
                    {
                        volumes.Append(CultureInfo.InvariantCulture, $"{family}{{namespace=\"{ns}\",persistentvolumeclaim=\"data-{pod}\"}} 1.073741824e+09\n");
                    }
                }

                var entry = (Encoding.UTF8.GetBytes(text.ToString()), Encoding.UTF8.GetBytes(volumes.ToString()));
                cluster.Kubelets[$"node-{n:D4}"] = entry;
                cluster.KubeletBytes += entry.Item1.Length + entry.Item2.Length;
            }

            return cluster;
        }

        private static void Rename(JsonNode item, string name, string? ns, int index)
        {
            var meta = item["metadata"]!.AsObject();
            meta["name"] = name;
            if (ns is not null)
            {
                meta["namespace"] = ns;
            }

            meta["uid"] = $"00000000-0000-4000-8000-{index:D12}";
            if (item["involvedObject"] is JsonObject involved)
            {
                involved["name"] = name;
                involved["namespace"] = ns;
                involved["uid"] = meta["uid"]!.GetValue<string>();
            }
        }

        private static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Monitor.sln")))
                {
                    return dir.FullName;
                }
            }

            return Directory.GetCurrentDirectory();
        }
    }

    /// <summary>Serves the cluster's lists in pages of <see cref="PageSize"/>, the kubelet text, and pod logs.</summary>
    private sealed class ApiServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly Dictionary<string, List<(long Nanos, string Line)>> _logs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]> _pages = new(StringComparer.Ordinal);

        private ApiServer(WebApplication app) => _app = app;

        public string Base { get; private set; } = "";

        public System.Collections.Concurrent.ConcurrentBag<string> Requests { get; } = [];

        public static async Task<ApiServer> StartAsync(Cluster cluster)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new ApiServer(app);
            foreach (var (path, items) in cluster.Lists)
            {
                string kind = path.Split('/')[^1];
                for (int start = 0; start == 0 || start < items.Count; start += PageSize)
                {
                    bool more = start + PageSize < items.Count;
                    string meta = more ? $"{{\"resourceVersion\":\"1000\",\"continue\":\"c{start + PageSize}\"}}" : "{\"resourceVersion\":\"1000\"}";
                    string page = $"{{\"kind\":\"{kind}\",\"apiVersion\":\"v1\",\"metadata\":{meta},\"items\":[{string.Join(',', items.Skip(start).Take(PageSize))}]}}";
                    server._pages[$"{path}@{start}"] = Encoding.UTF8.GetBytes(page);
                }
            }

            app.Run(async context =>
            {
                string path = context.Request.Path.Value ?? "";
                server.Requests.Add(path + context.Request.QueryString);
                if (path.StartsWith("/api/v1/nodes/", StringComparison.Ordinal) && path.Contains("/proxy/", StringComparison.Ordinal))
                {
                    string node = path.Split('/')[4];
                    if (!cluster.Kubelets.TryGetValue(node, out var kubelet))
                    {
                        context.Response.StatusCode = 404;
                        return;
                    }

                    context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await context.Response.Body.WriteAsync(path.EndsWith("/cadvisor", StringComparison.Ordinal) ? kubelet.Cadvisor : kubelet.Metrics);
                    return;
                }

                if (path.EndsWith("/log", StringComparison.Ordinal))
                {
                    await server.WriteLogAsync(context, path.Split('/')[6]);
                    return;
                }

                string cont = context.Request.Query["continue"].ToString();
                int start = cont.StartsWith('c') ? int.Parse(cont.AsSpan(1), CultureInfo.InvariantCulture) : 0;
                if (!server._pages.TryGetValue($"{path}@{start}", out var bytes))
                {
                    // A namespaced list the cluster has no items for.
                    string kind = path.Split('/')[^1];
                    bytes = Encoding.UTF8.GetBytes($"{{\"kind\":\"{kind}\",\"apiVersion\":\"v1\",\"metadata\":{{\"resourceVersion\":\"1000\"}},\"items\":[]}}");
                }

                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(bytes);
            });
            await app.StartAsync();
            server.Base = app.Urls.First();
            return server;
        }

        public void Log(string pod, string line)
        {
            long nanos = (TimeProvider.System.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
            lock (_logs)
            {
                (_logs.TryGetValue(pod, out var list) ? list : _logs[pod] = []).Add((nanos, line));
            }
        }

        private async Task WriteLogAsync(HttpContext context, string pod)
        {
            long since = long.MinValue;
            if (context.Request.Query["sinceTime"].ToString() is { Length: > 0 } sinceTime)
            {
                since = DateTimeOffset.Parse(sinceTime, CultureInfo.InvariantCulture).ToUnixTimeSeconds() * 1_000_000_000;
            }

            long limit = long.TryParse(context.Request.Query["limitBytes"], CultureInfo.InvariantCulture, out long l) ? l : long.MaxValue;
            var text = new StringBuilder();
            lock (_logs)
            {
                foreach (var (nanos, line) in _logs.GetValueOrDefault(pod) ?? [])
                {
                    if (nanos >= since)
                    {
                        var at = DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
                        text.Append(at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture)).Append("00Z ").Append(line).Append('\n');
                    }
                }
            }

            byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
            context.Response.ContentType = "text/plain";
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, (int)Math.Min(bytes.Length, limit)));
        }

        public string WriteKubeconfig(string dir)
        {
            string path = Path.Combine(dir, "kubeconfig");
            File.WriteAllText(path, $"""
                apiVersion: v1
                kind: Config
                current-context: bench
                clusters:
                - name: bench
                  cluster:
                    server: {Base}
                users:
                - name: monitor
                  user:
                    token: bench-token
                contexts:
                - name: bench
                  context:
                    cluster: bench
                    user: monitor
                """);
            return path;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
