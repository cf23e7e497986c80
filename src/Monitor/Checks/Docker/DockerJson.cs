using System.Text.Json.Serialization;

namespace Monitor.Checks.Docker;

/// <summary>The one shape the check writes as JSON: the list's <c>filters</c> query parameter.</summary>
[JsonSerializable(typeof(Dictionary<string, string[]>))]
internal sealed partial class DockerJson : JsonSerializerContext;
