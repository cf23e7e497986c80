namespace Monitor.Metrics;

internal static class AtomicDouble
{
    /// <summary>Adds <paramref name="delta"/> to <paramref name="location"/> without a lock.</summary>
    public static void Add(ref double location, double delta)
    {
        double current = Volatile.Read(ref location);
        while (true)
        {
            double seen = Interlocked.CompareExchange(ref location, current + delta, current);
            if (seen.Equals(current))
            {
                return;
            }

            current = seen;
        }
    }
}
