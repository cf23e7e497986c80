using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Rules.RuleFiles;

namespace Monitor.Hosting;

/// <summary>
/// check-config's warning about rule selectors whose metric nothing configured can produce: no check kind of the
/// configuration publishes the name (each kind knows its <see cref="MetricFamilies"/>), Monitor does not publish
/// it about itself, and no recording rule records it. Such a rule never fires — usually a rule copied from a
/// setup with another exporter (<c>cpu_usage_rate</c>, <c>http_request_duration_seconds</c>). A whole file of
/// such rules (the shipped GPU rules on a machine without a GPU check) is one warning, not one per rule.
/// </summary>
internal static class SelectorCoverage
{
    /// <summary>What Monitor publishes whatever its checks (docs/metrics.md, "Monitor's own metrics"), and the rule engine's own series.</summary>
    public static readonly MetricFamilies Self = new([
        "monitor_build_info", "monitor_check_runs_total", "monitor_check_failure_info",
        .. Histogram("monitor_check_duration_seconds"), .. Histogram("monitor_scheduler_lag_seconds"), .. Histogram("monitor_rule_evaluation_duration_seconds"),
        "monitor_rule_history_series", "monitor_rule_groups", "monitor_rule_history_samples", "monitor_rule_history_bytes", "monitor_rule_evaluation_failures_total",
        "monitor_config_last_reload_successful", "monitor_config_last_reload_success_timestamp_seconds",
        "monitor_alerts", "monitor_alert_sla_breaches_total", .. Histogram("monitor_alert_time_to_ack_seconds"), .. Histogram("monitor_alert_time_to_resolve_seconds"),
        "monitor_notifications_total", "monitor_notification_queue_length", "monitor_alert_escalations_total",
        "monitor_alerting_leader", "monitor_alerting_lease_fencing_token", "monitor_internal_errors_total",
        "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_start_time_seconds",
        "ALERTS", "ALERTS_FOR_STATE",
    ]);

    /// <summary>
    /// One warning per rule and metric name that no check, self-metric or recording rule produces; a rule file none
    /// of whose selectors anything produces (PostgreSQL rules without a postgres check) gets one warning for the file.
    /// </summary>
    public static List<ConfigError> Warnings(MonitorOptions options, IReadOnlyList<RuleGroup> groups)
    {
        var recorded = groups.SelectMany(g => g.Rules).Select(r => r.Record).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var warnings = new List<ConfigError>();
        foreach (var file in groups.GroupBy(g => g.File, StringComparer.Ordinal))
        {
            var perRule = new List<ConfigError>();
            var unproduced = new List<string>();
            bool anyProduced = false;
            bool anyPossibly = false;
            int rules = 0;
            foreach (var rule in file.SelectMany(g => g.Rules))
            {
                rules++;
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var use in rule.Selectors)
                {
                    if (!seen.Add(use.Metric))
                    {
                        continue;
                    }

                    var possibly = Sources(options, recorded, use.Metric, out bool produced);
                    if (produced)
                    {
                        anyProduced = true;
                        continue;
                    }

                    anyPossibly |= possibly.Count > 0;
                    if (!unproduced.Contains(use.Metric, StringComparer.Ordinal))
                    {
                        unproduced.Add(use.Metric);
                    }

                    string unless = possibly.Count == 0
                        ? string.Empty
                        : $", unless a scrape target (prometheus.io/scrape) that kubernetes check {string.Join(", ", possibly)} discovers exposes it";
                    string kind = rule.Alert is not null ? "rule" : "recording rule";
                    perRule.Add(new ConfigError(use.File, use.Line, use.Column, $"{use.Field}: {kind} {rule.Name} selects {use.Metric}, which no configured check produces{unless}"));
                }
            }

            if (!anyProduced && !anyPossibly && unproduced.Count > 0)
            {
                string names = string.Join(", ", unproduced.Take(5)) + (unproduced.Count > 5 ? $" and {unproduced.Count - 5} more" : string.Empty);
                warnings.Add(new ConfigError(file.Key, 1, 1, $"none of the {rules} rules of this file can fire: no configured check produces what they select ({names})"));
            }
            else
            {
                warnings.AddRange(perRule);
            }
        }

        return warnings;
    }

    /// <summary>Whether anything produces <paramref name="metric"/>; if not, the kubernetes checks whose discovered scrape targets might.</summary>
    private static List<string> Sources(MonitorOptions options, HashSet<string> recorded, string metric, out bool produced)
    {
        produced = Self.Contains(metric) || recorded.Contains(metric);
        if (produced)
        {
            return [];
        }

        var answers = options.Checks
            .Select(c => (Check: c, Answer: c.Kind is CheckKind kind ? kind.CanProduce(c.Settings, metric) : Production.Yes))
            .ToList();
        produced = answers.Any(a => a.Answer == Production.Yes);
        return produced ? [] : [.. answers.Where(a => a.Answer == Production.Possibly).Select(a => a.Check.Name)];
    }

    private static string[] Histogram(string name) => [name + "_bucket", name + "_sum", name + "_count"];
}
