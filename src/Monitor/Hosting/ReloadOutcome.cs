using Monitor.Configuration;

namespace Monitor.Hosting;

internal sealed record ReloadOutcome(bool Success, IReadOnlyList<ConfigError> Errors);
