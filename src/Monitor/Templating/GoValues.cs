namespace Monitor.Templating;

/// <summary>
/// The Go values a Prometheus template handles, as C# objects: <c>null</c> is a nil interface, <c>long</c> Go's
/// int, <c>double</c> float64, <c>string</c>, <c>bool</c>, <see cref="IReadOnlyDictionary{TKey, TValue}"/> of
/// strings map[string]string, <see cref="GoAnyMap"/> map[string]interface{}, <see cref="SampleValue"/>
/// *template.sample, <see cref="QueryResult"/> template.queryResult, <see cref="HtmlString"/> template.HTML,
/// <see cref="TimeValue"/> *time.Time and <see cref="GoStruct"/> the data structs.
/// </summary>
internal static class GoValues
{
    /// <summary>Go's <c>%T</c>.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "<nil>",
        string => "string",
        double => "float64",
        long => "int",
        bool => "bool",
        IReadOnlyDictionary<string, string> => "map[string]string",
        GoAnyMap => "map[string]interface {}",
        SampleValue => "*template.sample",
        QueryResult => "template.queryResult",
        HtmlString => "template.HTML",
        TimeValue => "*time.Time",
        GoStruct s => s.TypeName,
        _ => value.GetType().Name,
    };
}

/// <summary>map[string]interface{} (what <c>args</c> returns).</summary>
internal sealed class GoAnyMap : Dictionary<string, object?>
{
    public GoAnyMap()
        : base(StringComparer.Ordinal)
    {
    }
}

/// <summary>One sample of a <c>query</c> result: Prometheus' <c>*template.sample</c> (Labels, Value).</summary>
internal sealed class SampleValue(IReadOnlyDictionary<string, string> labels, double value)
{
    public IReadOnlyDictionary<string, string> Labels { get; } = labels;

    public double Value { get; } = value;
}

/// <summary>The result of <c>query</c>, in the engine's order.</summary>
internal sealed class QueryResult : List<SampleValue>
{
    public QueryResult()
    {
    }

    public QueryResult(IEnumerable<SampleValue> samples)
        : base(samples)
    {
    }
}

/// <summary>html/template's HTML type: a string that is not a Go <c>string</c>.</summary>
internal sealed record HtmlString(string Text)
{
    public override string ToString() => Text;
}

/// <summary>A <c>*time.Time</c> at millisecond precision (what <c>toTime</c> returns).</summary>
internal sealed record TimeValue(long UnixMilliseconds);

/// <summary>A Go struct value: its type's name (for error texts) and its exported fields in declaration order.</summary>
internal sealed class GoStruct(string typeName, IReadOnlyList<KeyValuePair<string, object?>> fields)
{
    public string TypeName { get; } = typeName;

    public IReadOnlyList<KeyValuePair<string, object?>> Fields { get; } = fields;

    public bool TryGet(string name, out object? value)
    {
        foreach (var field in Fields)
        {
            if (field.Key == name)
            {
                value = field.Value;
                return true;
            }
        }

        value = null;
        return false;
    }
}
