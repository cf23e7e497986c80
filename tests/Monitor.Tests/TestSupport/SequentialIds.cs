using System.Globalization;
using Monitor.Alerting;

namespace Monitor.Tests.TestSupport;

/// <summary>Notification ids 1, 2, 3 …: deterministic, so a decision can be compared with another.</summary>
internal sealed class SequentialIds : IIdSource
{
    private int _next;

    public string NewId() => Interlocked.Increment(ref _next).ToString("D8", CultureInfo.InvariantCulture);
}
