using System.Globalization;
using System.Text.Json;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Kubernetes;

/// <summary>Sets one series of the check (and marks it published this run).</summary>
internal delegate void KubePublish(string name, string help, double value, Label[] labels);

/// <summary>
/// kube-state-metrics 2.x families beyond the pod/node basics: HPAs, jobs, cronjobs, statefulsets, daemonsets,
/// pod owner/info, container info and resources, node capacity. Names, help, label names and label order,
/// values and when a series is left out follow ksm's <c>internal/store</c> generators.
/// </summary>
internal static class KubeStateFamilies
{
    private static readonly string[] ConditionStatuses = ["true", "false", "unknown"];
    private static readonly string[] JobFailureReasons = ["BackoffLimitExceeded", "DeadlineExceeded", "Evicted"];

    public static void Hpa(JsonElement hpa, KubePublish set)
    {
        Label[] labels = [new("namespace", Meta(hpa, "namespace")), new("horizontalpodautoscaler", Meta(hpa, "name"))];
        if (Number(hpa, "spec", "minReplicas") is { } min)
        {
            set("kube_horizontalpodautoscaler_spec_min_replicas", "Lower limit for the number of pods that can be set by the autoscaler, default 1.", min, labels);
        }

        set("kube_horizontalpodautoscaler_spec_max_replicas", "Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.", Number(hpa, "spec", "maxReplicas") ?? 0, labels);
        set("kube_horizontalpodautoscaler_status_current_replicas", "Current number of replicas of pods managed by this autoscaler.", Number(hpa, "status", "currentReplicas") ?? 0, labels);
        set("kube_horizontalpodautoscaler_status_desired_replicas", "Desired number of replicas of pods managed by this autoscaler.", Number(hpa, "status", "desiredReplicas") ?? 0, labels);
        foreach (var condition in Conditions(hpa))
        {
            string type = String(condition, "type");
            string status = String(condition, "status").ToLowerInvariant();
            foreach (string s in ConditionStatuses)
            {
                set("kube_horizontalpodautoscaler_status_condition", "The condition of this autoscaler.", s == status ? 1 : 0, [.. labels, new("condition", type), new("status", s)]);
            }
        }
    }

    public static void Job(JsonElement job, KubePublish set)
    {
        Label[] labels = [new("namespace", Meta(job, "namespace")), new("job_name", Meta(job, "name"))];
        double failed = Number(job, "status", "failed") ?? 0;
        set("kube_job_status_succeeded", "The number of pods which reached Phase Succeeded.", Number(job, "status", "succeeded") ?? 0, labels);
        if (failed == 0)
        {
            set("kube_job_status_failed", "The number of pods which reached Phase Failed and the reason for failure.", 0, labels);
        }
        else
        {
            bool reasonKnown = false;
            foreach (var condition in Conditions(job).Where(c => String(c, "type") == "Failed"))
            {
                string reason = String(condition, "reason");
                foreach (string known in JobFailureReasons)
                {
                    reasonKnown |= reason == known;
                    set("kube_job_status_failed", "The number of pods which reached Phase Failed and the reason for failure.", reason == known ? 1 : 0, [.. labels, new("reason", known)]);
                }
            }

            if (!reasonKnown)
            {
                set("kube_job_status_failed", "The number of pods which reached Phase Failed and the reason for failure.", failed, [.. labels, new("reason", string.Empty)]);
            }
        }

        set("kube_job_status_active", "The number of actively running pods.", Number(job, "status", "active") ?? 0, labels);
        if (Time(job, "status", "completionTime") is { } completed)
        {
            set("kube_job_status_completion_time", "CompletionTime represents time when the job was completed.", completed, labels);
        }

        foreach (var condition in Conditions(job).Where(c => String(c, "type") == "Failed"))
        {
            string status = String(condition, "status").ToLowerInvariant();
            foreach (string c in ConditionStatuses)
            {
                set("kube_job_failed", "The job has failed its execution.", c == status ? 1 : 0, [.. labels, new("condition", c)]);
            }
        }

        Owners(job, set, "kube_job_owner", "Information about the Job's owner.", labels, none: string.Empty);
    }

    public static void CronJob(JsonElement cronJob, KubePublish set)
    {
        Label[] labels = [new("namespace", Meta(cronJob, "namespace")), new("cronjob", Meta(cronJob, "name"))];
        var lastSchedule = Time(cronJob, "status", "lastScheduleTime");
        if (lastSchedule is { } last)
        {
            set("kube_cronjob_status_last_schedule_time", "LastScheduleTime keeps information of when was the last time the job was successfully scheduled.", last, labels);
        }

        if (Time(cronJob, "status", "lastSuccessfulTime") is { } success)
        {
            set("kube_cronjob_status_last_successful_time", "LastSuccessfulTime keeps information of when was the last time the job was completed successfully.", success, labels);
        }

        bool? suspend = cronJob.TryGetProperty("spec", out var spec) && spec.TryGetProperty("suspend", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.ValueKind == JsonValueKind.True : null;
        if (suspend is { } suspended)
        {
            set("kube_cronjob_spec_suspend", "Suspend flag tells the controller to suspend subsequent executions.", suspended ? 1 : 0, labels);
        }

        string? timeZone = spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("timeZone", out var tz) ? tz.GetString() : null;
        double? from = lastSchedule ?? (Meta(cronJob, "creationTimestamp") is { Length: > 0 } created ? ParseTime(created) : null);
        if (suspend != true && from is { } after && NextSchedule(String(spec, "schedule"), timeZone, DateTimeOffset.FromUnixTimeSeconds((long)after)) is { } next)
        {
            set("kube_cronjob_next_schedule_time", "Next time the cronjob should be scheduled. The time after lastScheduleTime, or after the cron job's creation time if it's never been scheduled. Use this to determine if the job is delayed.", next.ToUnixTimeSeconds(), labels);
        }
    }

    /// <summary>
    /// The first time after <paramref name="after"/> a schedule fires, as the CronJob controller reads it
    /// (robfig/cron's standard parser: five fields, where both restricted day fields match when either does,
    /// <c>?</c> as <c>*</c>, a <c>@daily</c>-style macro or <c>@every &lt;duration&gt;</c>, an optional
    /// <c>CRON_TZ=</c>/<c>TZ=</c> prefix or <c>spec.timeZone</c>; UTC otherwise). Evaluated by Monitor's
    /// <see cref="CronSchedule"/>, the same crontab(5) reading maintenance windows and reports use. Null for a
    /// schedule or zone that does not parse.
    /// </summary>
    public static DateTimeOffset? NextSchedule(string schedule, string? timeZone, DateTimeOffset after)
    {
        schedule = schedule.Trim();
        if (schedule.StartsWith("CRON_TZ=", StringComparison.Ordinal) || schedule.StartsWith("TZ=", StringComparison.Ordinal))
        {
            int space = schedule.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                return null;
            }

            timeZone = schedule[(schedule.IndexOf('=', StringComparison.Ordinal) + 1)..space];
            schedule = schedule[(space + 1)..].Trim();
        }

        TimeZoneInfo zone = TimeZoneInfo.Utc;
        if (timeZone is { Length: > 0 } && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone!))
        {
            return null;
        }

        if (schedule.StartsWith("@every ", StringComparison.Ordinal))
        {
            // robfig's ConstantDelaySchedule: the delay (at least a second, whole seconds) after the last run.
            if (!PromDuration.TryParse(schedule["@every ".Length..].Trim(), out var every) || every < TimeSpan.FromSeconds(1))
            {
                return null;
            }

            var delay = TimeSpan.FromSeconds(Math.Floor(every.TotalSeconds));
            var truncated = DateTimeOffset.FromUnixTimeSeconds(after.ToUnixTimeSeconds());
            return truncated + delay;
        }

        var parsed = Schedules.GetOrAdd(schedule, static text => CronSchedule.TryParse(text, out var cron, out _) ? cron : null);
        return parsed?.Next(after, zone);
    }

    /// <summary>Parsed schedules by text; a cluster has few distinct ones, and each CronJob is read every run.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, CronSchedule?> Schedules = new(StringComparer.Ordinal);

    public static void StatefulSet(JsonElement statefulSet, KubePublish set)
    {
        Label[] labels = [new("namespace", Meta(statefulSet, "namespace")), new("statefulset", Meta(statefulSet, "name"))];
        set("kube_statefulset_status_replicas_ready", "The number of ready replicas per StatefulSet.", Number(statefulSet, "status", "readyReplicas") ?? 0, labels);
        if (Number(statefulSet, "spec", "replicas") is { } replicas)
        {
            set("kube_statefulset_replicas", "Number of desired pods for a StatefulSet.", replicas, labels);
        }
    }

    public static void DaemonSet(JsonElement daemonSet, KubePublish set)
    {
        Label[] labels = [new("namespace", Meta(daemonSet, "namespace")), new("daemonset", Meta(daemonSet, "name"))];
        set("kube_daemonset_status_desired_number_scheduled", "The number of nodes that should be running the daemon pod.", Number(daemonSet, "status", "desiredNumberScheduled") ?? 0, labels);
        set("kube_daemonset_status_number_ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", Number(daemonSet, "status", "numberReady") ?? 0, labels);
    }

    /// <summary><c>kube_pod_owner</c>, <c>kube_pod_info</c>, <c>kube_pod_container_info</c> and the containers' requests and limits.</summary>
    public static void Pod(JsonElement pod, KubePublish set)
    {
        Label[] labels = [new("namespace", Meta(pod, "namespace")), new("pod", Meta(pod, "name")), new("uid", Meta(pod, "uid"))];
        Owners(pod, set, "kube_pod_owner", "Information about the Pod's owner.", labels, none: "<none>");

        var spec = pod.TryGetProperty("spec", out var sp) ? sp : default;
        string node = String(spec, "nodeName");
        var controller = pod.GetProperty("metadata").TryGetProperty("ownerReferences", out var refs) && refs.ValueKind == JsonValueKind.Array
            ? refs.EnumerateArray().FirstOrDefault(r => r.TryGetProperty("controller", out var c) && c.ValueKind == JsonValueKind.True)
            : default;
        set("kube_pod_info", "Information about pod.", 1,
        [
            .. labels,
            new("host_ip", Str(pod, "status", "hostIP")),
            new("pod_ip", Str(pod, "status", "podIP")),
            new("node", node),
            new("created_by_kind", String(controller, "kind")),
            new("created_by_name", String(controller, "name")),
            new("priority_class", String(spec, "priorityClassName")),
            new("host_network", spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("hostNetwork", out var hn) && hn.ValueKind == JsonValueKind.True ? "true" : "false"),
        ]);

        if (spec.ValueKind != JsonValueKind.Object || !spec.TryGetProperty("containers", out var containers) || containers.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var statuses = pod.TryGetProperty("status", out var status) && status.TryGetProperty("containerStatuses", out var cs) && cs.ValueKind == JsonValueKind.Array ? cs.EnumerateArray().ToList() : [];
        foreach (var container in containers.EnumerateArray())
        {
            string name = String(container, "name");
            foreach (var containerStatus in statuses.Where(s => String(s, "name") == name))
            {
                set("kube_pod_container_info", "Information about a container in a pod.", 1,
                    [.. labels, new("container", name), new("image_spec", String(container, "image")), new("image", String(containerStatus, "image")), new("image_id", String(containerStatus, "imageID")), new("container_id", String(containerStatus, "containerID"))]);
            }

            if (!container.TryGetProperty("resources", out var resources))
            {
                continue;
            }

            Resources(resources, "requests", set, "kube_pod_container_resource_requests", "The number of requested request resource by a container. It is recommended to use the kube_pod_resource_requests metric exposed by kube-scheduler instead, as it is more precise.", [.. labels, new("container", name), new("node", node)], node: false);
            Resources(resources, "limits", set, "kube_pod_container_resource_limits", "The number of requested limit resource by a container. It is recommended to use the kube_pod_resource_limits metric exposed by kube-scheduler instead, as it is more precise.", [.. labels, new("container", name), new("node", node)], node: false);
        }
    }

    /// <summary><c>kube_node_status_capacity</c> and <c>kube_node_status_allocatable</c>.</summary>
    public static void Node(JsonElement node, KubePublish set)
    {
        if (!node.TryGetProperty("status", out var status))
        {
            return;
        }

        Label[] labels = [new("node", Meta(node, "name"))];
        Resources(status, "capacity", set, "kube_node_status_capacity", "The capacity for different resources of a node.", labels, node: true);
        Resources(status, "allocatable", set, "kube_node_status_allocatable", "The allocatable for different resources of a node that are available for scheduling.", labels, node: true);
    }

    private static void Resources(JsonElement parent, string field, KubePublish set, string name, string help, Label[] labels, bool node)
    {
        if (!parent.TryGetProperty(field, out var map) || map.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in map.EnumerateObject())
        {
            string quantity = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetRawText() : property.Value.GetString() ?? string.Empty;
            if (KubeQuantity.ToResourceUnitValue(property.Name, quantity, node) is { } r)
            {
                set(name, help, r.Value, [.. labels, new("resource", r.Resource), new("unit", r.Unit)]);
            }
        }
    }

    private static void Owners(JsonElement item, KubePublish set, string name, string help, Label[] labels, string none)
    {
        if (!item.GetProperty("metadata").TryGetProperty("ownerReferences", out var owners) || owners.ValueKind != JsonValueKind.Array || owners.GetArrayLength() == 0)
        {
            set(name, help, 1, [.. labels, new("owner_kind", none), new("owner_name", none), new("owner_is_controller", none)]);
            return;
        }

        foreach (var owner in owners.EnumerateArray())
        {
            bool controller = owner.TryGetProperty("controller", out var c) && c.ValueKind == JsonValueKind.True;
            set(name, help, 1, [.. labels, new("owner_kind", String(owner, "kind")), new("owner_name", String(owner, "name")), new("owner_is_controller", controller ? "true" : "false")]);
        }
    }

    private static List<JsonElement> Conditions(JsonElement item) =>
        item.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array
            ? [.. conditions.EnumerateArray()]
            : [];

    private static double? Time(JsonElement item, string section, string field) =>
        Str(item, section, field) is { Length: > 0 } text ? ParseTime(text) : null;

    private static double? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUnixTimeSeconds() : null;

    private static string Meta(JsonElement item, string field) =>
        item.GetProperty("metadata").TryGetProperty(field, out var v) ? v.GetString() ?? string.Empty : string.Empty;

    private static string String(JsonElement item, string field) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty : string.Empty;

    private static string Str(JsonElement item, string section, string field) =>
        item.TryGetProperty(section, out var s) ? String(s, field) : string.Empty;

    private static double? Number(JsonElement item, string section, string field) =>
        item.TryGetProperty(section, out var s) && s.ValueKind == JsonValueKind.Object && s.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
