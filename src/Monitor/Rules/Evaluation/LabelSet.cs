using System.Text;
using Monitor.Metrics;

namespace Monitor.Rules.Evaluation;

/// <summary>Helpers over a series' labels: a <see cref="Label"/> array sorted by name, <c>__name__</c> included.</summary>
internal static class LabelSet
{
    public const string MetricName = "__name__";

    public static Label[] Sorted(IEnumerable<Label> labels) =>
        [.. labels.Where(l => l.Value.Length > 0).OrderBy(l => l.Name, StringComparer.Ordinal)];

    public static string Get(Label[] labels, string name)
    {
        foreach (var label in labels)
        {
            if (label.Name == name)
            {
                return label.Value;
            }
        }

        return string.Empty;
    }

    // Series label arrays live as long as their series; caching the name-less copy per array keeps the
    // results of functions and arithmetic the same array from one evaluation to the next, which is what
    // lets the alerting state recognise them without rebuilding keys.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Label[], Label[]> WithoutName = new();

    public static Label[] DropName(Label[] labels)
    {
        if (!labels.Any(l => l.Name == MetricName))
        {
            return labels;
        }

        return WithoutName.GetValue(labels, static l => [.. l.Where(x => x.Name != MetricName)]);
    }

    public static Label[] Keep(Label[] labels, IReadOnlyCollection<string> names) => [.. labels.Where(l => names.Contains(l.Name))];

    public static Label[] Without(Label[] labels, IReadOnlyCollection<string> names) => [.. labels.Where(l => !names.Contains(l.Name))];

    public static Label[] With(Label[] labels, string name, string value) =>
        Sorted(labels.Where(l => l.Name != name).Append(new Label(name, value)));

    /// <summary>A string that is equal for equal label sets (values may contain anything but 0xFF).</summary>
    public static string Key(Label[] labels)
    {
        var sb = new StringBuilder();
        foreach (var label in labels)
        {
            sb.Append(label.Name).Append('\xff').Append(label.Value).Append('\xfe');
        }

        return sb.ToString();
    }

    /// <summary>Prometheus' text form: <c>name{a="b", c="d"}</c>.</summary>
    public static string Format(Label[] labels)
    {
        var sb = new StringBuilder();
        sb.Append(Get(labels, MetricName));
        sb.Append('{');
        bool first = true;
        foreach (var label in labels.Where(l => l.Name != MetricName))
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            sb.Append(label.Name).Append("=\"");
            ExpositionText.AppendEscapedLabelValue(sb, label.Value);
            sb.Append('"');
        }

        return sb.Append('}').ToString();
    }
}
