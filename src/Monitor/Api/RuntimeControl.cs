using Monitor.Configuration;

namespace Monitor.Api;

/// <summary>The running configuration as the API sees it: what is in force, and a reload (Hosting implements it).</summary>
internal interface IRuntimeControl
{
    MonitorOptions Current { get; }

    /// <summary>Reads, validates and applies the configuration file; an invalid one leaves the running one in force.</summary>
    ReloadOutcome Reload(string source);
}

internal sealed record ReloadOutcome(bool Success, IReadOnlyList<ConfigError> Errors);
