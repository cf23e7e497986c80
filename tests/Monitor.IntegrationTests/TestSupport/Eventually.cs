using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.TestSupport;

internal static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="describe"/> after the timeout.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (TimeProvider.System.GetElapsedTime(start) > timeout)
            {
                Assert.Fail($"condition not met within {timeout.TotalSeconds}s: {describe()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System);
        }
    }

    /// <summary>
    /// Waits until each of <paramref name="monitors"/> has run every check, and evaluated its rules, at least
    /// <paramref name="times"/> more times than when called (see <see cref="ServiceProgress"/>): whatever those
    /// runs and evaluations lead to has been handed to the alert pipeline. Counted in the service's own work, so a
    /// slow machine waits longer instead of looking too early.
    /// </summary>
    public static async Task ProgressedAsync(int times, TimeSpan timeout, params MonitorProcess[] monitors)
    {
        var since = new ServiceProgress[monitors.Length];
        for (int i = 0; i < monitors.Length; i++)
        {
            since[i] = await ServiceProgress.ReadAsync(monitors[i]);
        }

        for (int i = 0; i < monitors.Length; i++)
        {
            var monitor = monitors[i];
            var from = since[i];
            var now = from;
            await HoldsAsync(
                async () => (now = await ServiceProgress.ReadAsync(monitor)).IsPast(from, times),
                timeout,
                () => $"{times} more runs and evaluations: from {from} only to {now}\n{monitor.Output}");
        }
    }

    /// <summary>
    /// Waits until the alert pipeline of <paramref name="replicas"/> has provably finished every delivery it has
    /// decided on, so that what <paramref name="sink"/> holds is all that will arrive:
    /// <list type="bullet">
    /// <item>a replica that holds the alerting lease has decided since the call (its <c>GET /api/v1/alerts</c> is
    /// answered on the decision loop, after that turn's decision and the notifications it owes are in the store);</item>
    /// <item>no replica's outbox has an entry not yet delivered (<c>monitor_notification_queue_length</c> 0:
    /// ready, retrying, held or in flight);</item>
    /// <item>the sink has answered every request it received;</item>
    /// <item>the delivery attempts the replicas counted (<c>monitor_notifications_total</c>, every receiver and result,
    /// plus <paramref name="attemptsBefore"/> of replicas no longer running) equal the requests the sink received
    /// (those that arrived from <paramref name="since"/> on, when given).</item>
    /// </list>
    /// All of it in two readings in a row with the same counts and a decision between them, because the dispatcher
    /// sets the queue gauge just after an entry is committed, not in the same step. Every attempt must reach the
    /// sink (an acknowledgement, which a webhook skips without a request, would never settle).
    /// </summary>
    public static async Task DeliveredAsync(RecordingSink sink, TimeSpan timeout, IReadOnlyList<MonitorProcess> replicas, double attemptsBefore = 0, DateTimeOffset? since = null)
    {
        (double Attempts, int Received)? previous = null;
        string last = "no reading";
        await HoldsAsync(
            async () =>
            {
                bool decided = false;
                foreach (var replica in replicas)
                {
                    using var answer = await replica.Http.GetAsync(new Uri(replica.BaseUri, "/api/v1/alerts"));
                    decided |= answer.IsSuccessStatusCode;
                }

                double queued = 0, attempts = attemptsBefore;
                foreach (var replica in replicas)
                {
                    var metrics = await MetricSamples.ReadAsync(replica);
                    queued += metrics.Sum("monitor_notification_queue_length");
                    attempts += metrics.Sum("monitor_notifications_total");
                }

                int inFlight = sink.InFlight; // read before the requests: a request is recorded before it stops being in flight
                int received = sink.Requests.Count(r => since is null || r.At >= since);
                last = $"decided {decided}, queued {queued}, attempts {attempts}, received {received}, in flight {inFlight}";
                var reading = (attempts, received);
                bool settled = decided && queued == 0 && inFlight == 0 && attempts == received;
                bool twice = settled && previous == reading;
                previous = settled ? reading : null;
                return twice;
            },
            timeout,
            () => "deliveries did not settle: " + last + "\n" + string.Concat(replicas.Select(r => r.Output)));
    }
}
