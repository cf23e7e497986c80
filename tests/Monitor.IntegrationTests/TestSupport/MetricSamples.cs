using System.Globalization;
using System.Text;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>One reading of a running Monitor's <c>/metrics</c> (text format 0.0.4), parsed here rather than by the code under test.</summary>
internal sealed class MetricSamples
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples;

    private MetricSamples(string text, List<(string Name, Dictionary<string, string> Labels, double Value)> samples)
    {
        Text = text;
        _samples = samples;
    }

    public string Text { get; }

    public static async Task<MetricSamples> ReadAsync(MonitorProcess monitor) => Parse(await monitor.GetStringAsync("/metrics"));

    public static MetricSamples Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int end = line.IndexOfAny(['{', ' ']);
            string name = line[..end];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            int i = end;
            if (line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    int eq = line.IndexOf('=', i);
                    string label = line[i..eq];
                    var value = new StringBuilder();
                    for (i = eq + 2; line[i] != '"'; i++)
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] == 'n' ? '\n' : line[i]);
                        }
                        else
                        {
                            value.Append(line[i]);
                        }
                    }

                    labels[label] = value.ToString();
                    i++; // the closing quote
                    if (line[i] == ',')
                    {
                        i++;
                    }
                }

                i++; // the closing brace
            }

            string number = line[(i + 1)..].Trim();
            double parsed = number switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add((name, labels, parsed));
        }

        return new MetricSamples(text, samples);
    }

    /// <summary>The samples of <paramref name="name"/> whose labels include every pair of <paramref name="match"/>.</summary>
    public IEnumerable<(IReadOnlyDictionary<string, string> Labels, double Value)> Series(string name, params (string Label, string Value)[] match) =>
        _samples.Where(s => s.Name == name && match.All(m => s.Labels.TryGetValue(m.Label, out var v) && v == m.Value))
            .Select(s => ((IReadOnlyDictionary<string, string>)s.Labels, s.Value));

    /// <summary>The sum of <see cref="Series"/>; 0 when there is none.</summary>
    public double Sum(string name, params (string Label, string Value)[] match) => Series(name, match).Sum(s => s.Value);
}
