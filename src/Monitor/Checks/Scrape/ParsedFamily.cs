using Monitor.Metrics;

namespace Monitor.Checks.Scrape;

/// <summary>One sample of a scraped exposition: its full sample name (<c>x_bucket</c>), labels and value.</summary>
internal readonly record struct ParsedSample(string Name, Label[] Labels, double Value);

/// <summary>A scraped family; <see cref="Name"/> is its text-format name (counters keep <c>_total</c>).</summary>
internal sealed record ParsedFamily(string Name, MetricType Type, string Help, List<ParsedSample> Samples);
