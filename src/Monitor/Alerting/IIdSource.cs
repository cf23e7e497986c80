namespace Monitor.Alerting;

/// <summary>Where notification ids come from, so the lifecycle stays deterministic under test.</summary>
internal interface IIdSource
{
    string NewId();
}

/// <summary>Time-ordered GUIDs (version 7), unique across replicas and restarts.</summary>
internal sealed class GuidIds : IIdSource
{
    public static GuidIds Instance { get; } = new();

    public string NewId() => Guid.CreateVersion7().ToString("N");
}
