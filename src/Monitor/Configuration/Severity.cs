using System.Text.Json;
using System.Text.Json.Serialization;

namespace Monitor.Configuration;

/// <summary>
/// One severity level (docs/alerting.md): its canonical name and its rank, 1 the most urgent. The levels are data,
/// read from <c>severities.levels</c> (<see cref="SeverityLevels"/>); P1–P4 are the built-in set. Two levels are the
/// same when name and rank agree; they order by rank.
/// </summary>
[JsonConverter(typeof(SeverityJsonConverter))]
internal readonly struct Severity : IEquatable<Severity>, IComparable<Severity>
{
    public static readonly Severity P1 = new("P1", 1);
    public static readonly Severity P2 = new("P2", 2);
    public static readonly Severity P3 = new("P3", 3);
    public static readonly Severity P4 = new("P4", 4);

    /// <summary>The built-in levels, most urgent first.</summary>
    public static readonly IReadOnlyList<Severity> BuiltIn = [P1, P2, P3, P4];

    private readonly string? _name;

    public Severity(string name, int rank)
    {
        _name = name;
        Rank = rank;
    }

    public string Name => _name ?? "";

    /// <summary>Position in the configured order, from 1 (most urgent).</summary>
    public int Rank { get; }

    /// <summary>Whether this is one of the built-in P1–P4.</summary>
    public bool IsBuiltIn => Rank is >= 1 and <= 4 && BuiltIn[Rank - 1].Name == Name;

    /// <summary>The built-in level of that rank (1 → P1 … 4 → P4).</summary>
    public static explicit operator Severity(int rank) =>
        rank is >= 1 and <= 4 ? BuiltIn[rank - 1] : throw new ArgumentOutOfRangeException(nameof(rank), rank, "built-in severities are 1 (P1) to 4 (P4)");

    public static explicit operator int(Severity severity) => severity.Rank;

    public static bool operator ==(Severity a, Severity b) => a.Equals(b);

    public static bool operator !=(Severity a, Severity b) => !a.Equals(b);

    public static bool operator <(Severity a, Severity b) => a.CompareTo(b) < 0;

    public static bool operator >(Severity a, Severity b) => a.CompareTo(b) > 0;

    public static bool operator <=(Severity a, Severity b) => a.CompareTo(b) <= 0;

    public static bool operator >=(Severity a, Severity b) => a.CompareTo(b) >= 0;

    public bool Equals(Severity other) => Rank == other.Rank && string.Equals(Name, other.Name, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is Severity other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Rank, StringComparer.Ordinal.GetHashCode(Name));

    public int CompareTo(Severity other) =>
        Rank != other.Rank ? Rank.CompareTo(other.Rank) : string.CompareOrdinal(Name, other.Name);

    public override string ToString() => Name;
}

/// <summary>
/// Stored as before for P1–P4 (<c>"p1"</c>, as the enum was written), and as <c>{"name","rank"}</c> for a
/// configured level, so a store written by an older Monitor still reads and a custom level keeps its rank.
/// </summary>
internal sealed class SeverityJsonConverter : JsonConverter<Severity>
{
    public override Severity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            string text = reader.GetString() ?? "";
            return Severity.BuiltIn.FirstOrDefault(s => string.Equals(s.Name, text, StringComparison.OrdinalIgnoreCase)) is { Rank: > 0 } builtIn
                ? builtIn
                : throw new JsonException($"unknown stored severity \"{text}\"");
        }

        if (reader.TokenType == JsonTokenType.Number)
        {
            return (Severity)reader.GetInt32();
        }

        string? name = null;
        int rank = 0;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a severity is a string or an object");
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string property = reader.GetString() ?? "";
            reader.Read();
            switch (property)
            {
                case "name":
                    name = reader.GetString();
                    break;
                case "rank":
                    rank = reader.GetInt32();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return name is null || rank < 1 ? throw new JsonException("a stored severity needs name and rank") : new Severity(name, rank);
    }

    public override void Write(Utf8JsonWriter writer, Severity value, JsonSerializerOptions options)
    {
        if (value.IsBuiltIn)
        {
            writer.WriteStringValue(value.Name.ToLowerInvariant());
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("name", value.Name);
        writer.WriteNumber("rank", value.Rank);
        writer.WriteEndObject();
    }
}
