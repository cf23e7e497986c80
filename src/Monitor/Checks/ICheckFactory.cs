using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks;

/// <summary>Builds a check from its configuration; the scheduler's only way to make one.</summary>
internal interface ICheckFactory
{
    ICheck Create(CheckOptions options, SeriesScope scope, IDiscoveredChecks discovered);
}
