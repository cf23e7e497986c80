using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.IntegrationTests.TestSupport;
using Npgsql;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>
/// One contract, both stores: the embedded SQLite and a real PostgreSQL 15. Every test runs against each.
/// </summary>
public sealed class AlertStoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "monitor-store-" + Guid.NewGuid().ToString("N")[..8]);
    private PostgresServer? _postgres;

    public async Task InitializeAsync()
    {
        Tools.Require("/usr/lib/postgresql/15/bin/initdb", "postgresql-15");
        Directory.CreateDirectory(_dir);
        _postgres = await PostgresServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string> Kinds => new() { "sqlite", "postgres" };

    private async Task<SqlAlertStore> NewStoreAsync(string kind)
    {
        string name = "store_" + Guid.NewGuid().ToString("N")[..8];
        SqlAlertStore store;
        if (kind == "sqlite")
        {
            store = SqlAlertStore.Sqlite(Path.Combine(_dir, name, "monitor.db"));
        }
        else
        {
            await using (var connection = _postgres!.Connect("postgres"))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await command.ExecuteNonQueryAsync();
            }

            store = SqlAlertStore.Postgres(_postgres.Dsn(name, "postgres", PostgresServer.SuperPassword));
        }

        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    private static AlertRecord Alert(string name, AlertStatus status = AlertStatus.Firing) => new()
    {
        Fingerprint = Fingerprint.Of(new Dictionary<string, string> { ["alertname"] = name }),
        Origin = AlertOrigin.Rule,
        Group = "g",
        Labels = new(StringComparer.Ordinal) { ["alertname"] = name, ["severity"] = "critical", ["note"] = "quote \" and ünïcode <b>" },
        RuleLabels = new(StringComparer.Ordinal) { ["alertname"] = name },
        Annotations = new() { ["summary"] = "line1\nline2" },
        Severity = Severity.P1,
        Status = status,
        ActiveAt = T0.AddTicks(1234567),
        FiredAt = T0.AddMinutes(1),
        Value = double.NaN,
        AckedAt = T0.AddMinutes(2),
        AckedBy = "kim",
        AckBreached = true,
    };

    private static Notification Note(string receiver, Severity severity, DateTimeOffset at, string? id = null) => new()
    {
        Id = id ?? GuidIds.Instance.NewId(),
        Receiver = receiver,
        GroupKey = "P1/-1/{alertname=\"X\"}",
        DedupKey = "monitor-abc",
        Severity = severity,
        Kind = NotificationKind.Firing,
        Reason = NotificationReason.First,
        GroupLabels = new Dictionary<string, string> { ["alertname"] = "X" },
        Alerts = [AlertSnapshot.Of(Alert("X"))],
        CreatedAt = at,
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Migrate_IsIdempotent_AndRecordsTheVersion(string kind)
    {
        await using var store = await NewStoreAsync(kind);
        await store.MigrateAsync(CancellationToken.None);
        await store.MigrateAsync(CancellationToken.None);
        await store.PingAsync(CancellationToken.None);
        Assert.Empty((await store.LoadAsync(CancellationToken.None)).Alerts);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AlertsGroupsAndSilences_RoundTripExactly(string kind)
    {
        await using var store = await NewStoreAsync(kind);
        var alert = Alert("Down");
        var group = new GroupState
        {
            Key = "P1/-1/{alertname=\"Down\"}",
            Severity = Severity.P1,
            GroupLabels = new(StringComparer.Ordinal) { ["alertname"] = "Down" },
            EpisodeStart = T0,
            EscalationStep = 2,
        };
        group.Notified["pager"] = new ReceiverProgress { LastSentAt = T0.AddSeconds(30), AckSent = true };
        group.Notified["pager"].Firing.Add(alert.Fingerprint);
        var silence = new Silence
        {
            Id = "s1",
            Matchers = [new SilenceMatcher("service", "ap.*", IsRegex: true, IsEqual: false)],
            StartsAt = T0,
            EndsAt = T0.AddHours(1),
            CreatedBy = "lee",
            Comment = "deploy",
        };
        var changes = new StoreChanges { At = T0 };
        changes.Alerts[alert.Fingerprint] = alert;
        changes.Groups[group.Key] = group;
        changes.Silences[silence.Id] = silence;
        await store.SaveAsync(changes, CancellationToken.None);

        var book = await store.LoadAsync(CancellationToken.None);
        var loaded = book.Alerts[alert.Fingerprint];
        Assert.Equal(StoreJson.Write(alert), StoreJson.Write(loaded));
        Assert.Equal(T0.AddTicks(1234567), loaded.ActiveAt);
        Assert.True(double.IsNaN(loaded.Value));
        Assert.Equal(StoreJson.Write(group), StoreJson.Write(book.Groups[group.Key]));
        var s = book.Silences["s1"];
        Assert.Equal(silence.Matchers, s.Matchers);
        Assert.False(s.Matches(new Dictionary<string, string> { ["service"] = "api" }));

        var removal = new StoreChanges { At = T0 };
        removal.Alerts[alert.Fingerprint] = null;
        removal.Groups[group.Key] = null;
        removal.Silences["s1"] = null;
        await store.SaveAsync(removal, CancellationToken.None);
        book = await store.LoadAsync(CancellationToken.None);
        Assert.Empty(book.Alerts);
        Assert.Empty(book.Groups);
        Assert.Empty(book.Silences);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Save_IsOneTransaction_AllOrNothing(string kind)
    {
        await using var store = await NewStoreAsync(kind);
        var first = new StoreChanges { At = T0 };
        first.Notifications.Add(Note("pager", Severity.P1, T0));
        await store.SaveAsync(first, CancellationToken.None);

        // Break the last table the transaction writes: the alert written before it must not land either.
        await store.RunSqlAsync("ALTER TABLE outbox RENAME TO outbox_gone", CancellationToken.None);
        var changes = new StoreChanges { At = T0 };
        var alert = Alert("Down");
        changes.Alerts[alert.Fingerprint] = alert;
        changes.Notifications.Add(Note("pager", Severity.P1, T0));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.SaveAsync(changes, CancellationToken.None));
        await store.RunSqlAsync("ALTER TABLE outbox_gone RENAME TO outbox", CancellationToken.None);
        Assert.Empty((await store.LoadAsync(CancellationToken.None)).Alerts);
        Assert.Equal(1, await store.QueueLengthAsync(CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Outbox_MostSevereFirst_RetriesWhenDue_FailuresVisible_DeliveredGone(string kind)
    {
        await using var store = await NewStoreAsync(kind);
        var p4 = Note("email", Severity.P4, T0);
        var p1 = Note("pager", Severity.P1, T0.AddSeconds(5));
        var p2 = Note("pager", Severity.P2, T0.AddSeconds(1));
        var changes = new StoreChanges { At = T0 };
        changes.Notifications.AddRange([p4, p1, p2]);
        await store.SaveAsync(changes, CancellationToken.None);
        await store.SaveAsync(changes, CancellationToken.None); // the same ids again: no duplicates

        var pending = await store.PendingAsync(T0.AddMinutes(1), 10, CancellationToken.None);
        Assert.Equal([p1.Id, p2.Id, p4.Id], pending.Select(e => e.Notification.Id));
        Assert.Equal(StoreJson.Write(p1), StoreJson.Write(pending[0].Notification));

        await store.MarkDeliveredAsync(p1.Id, 1, T0.AddMinutes(1), CancellationToken.None);
        await store.MarkFailedAsync(p2.Id, 1, T0.AddMinutes(5), "503 busy", CancellationToken.None);
        await store.MarkFailedAsync(p4.Id, 1, null, "400 bad address", CancellationToken.None);
        Assert.Empty(await store.PendingAsync(T0.AddMinutes(4), 10, CancellationToken.None));
        var due = Assert.Single(await store.PendingAsync(T0.AddMinutes(5), 10, CancellationToken.None));
        Assert.Equal((p2.Id, 1, "503 busy"), (due.Notification.Id, due.Attempts, due.LastError));
        Assert.Equal(1, await store.QueueLengthAsync(CancellationToken.None));

        var failures = await store.FailuresAsync(10, CancellationToken.None);
        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, f => f.Notification.Id == p4.Id && f.Status == OutboxStatus.Failed);
        Assert.Contains(failures, f => f.Notification.Id == p2.Id && f.Status == OutboxStatus.Pending);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Lease_OneHolderAtATime_TakenOverAfterExpiry_TokenRaisedOnEveryAcquisition(string kind)
    {
        await using var store = await NewStoreAsync(kind);
        Assert.Equal(1, await store.AcquireLeaseAsync("alerting", "a", T0, T0.AddSeconds(15), CancellationToken.None));
        Assert.Null(await store.AcquireLeaseAsync("alerting", "b", T0.AddSeconds(5), T0.AddSeconds(20), CancellationToken.None));
        Assert.Equal(1, await store.AcquireLeaseAsync("alerting", "a", T0.AddSeconds(10), T0.AddSeconds(25), CancellationToken.None)); // a renewal
        Assert.Null(await store.AcquireLeaseAsync("alerting", "b", T0.AddSeconds(24), T0.AddSeconds(39), CancellationToken.None));
        Assert.Equal(2, await store.AcquireLeaseAsync("alerting", "b", T0.AddSeconds(26), T0.AddSeconds(41), CancellationToken.None)); // a takeover
        Assert.Null(await store.AcquireLeaseAsync("alerting", "a", T0.AddSeconds(27), T0.AddSeconds(42), CancellationToken.None));
        // b's lease ran out and b takes it again: a new acquisition, so whatever b started under token 2 is fenced.
        Assert.Equal(3, await store.AcquireLeaseAsync("alerting", "b", T0.AddSeconds(50), T0.AddSeconds(65), CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Fence_AWriteUnderAnOldTokenChangesNothing(string kind)
    {
        await using var store = await NewStoreAsync(kind);
        Assert.Equal(1, await store.AcquireLeaseAsync("alerting", "a", T0, T0.AddSeconds(15), CancellationToken.None));
        var note = Note("hook", Severity.P1, T0, id: "n1");
        var first = new StoreChanges { At = T0 };
        first.Notifications.Add(note);
        store.Fence = new LeaseFence("a", 1);
        await store.SaveAsync(first, CancellationToken.None);

        // a is paused past its lease; b takes over.
        Assert.Equal(2, await store.AcquireLeaseAsync("alerting", "b", T0.AddSeconds(20), T0.AddSeconds(35), CancellationToken.None));

        // a wakes: its delivered mark, its failure mark and its state writes are refused and change nothing.
        await Assert.ThrowsAsync<LeaseFencedException>(() => store.MarkDeliveredAsync("n1", 1, T0.AddSeconds(21), CancellationToken.None));
        await Assert.ThrowsAsync<LeaseFencedException>(() => store.MarkFailedAsync("n1", 1, null, "late", CancellationToken.None));
        var late = new StoreChanges { At = T0.AddSeconds(21) };
        late.Notifications.Add(Note("hook", Severity.P1, T0.AddSeconds(21), id: "n2"));
        await Assert.ThrowsAsync<LeaseFencedException>(() => store.SaveAsync(late, CancellationToken.None));
        Assert.Equal(["n1"], (await store.PendingAsync(DateTimeOffset.MaxValue, 10, CancellationToken.None)).Select(e => e.Notification.Id));

        // b writes under its own token.
        store.Fence = new LeaseFence("b", 2);
        await store.MarkDeliveredAsync("n1", 1, T0.AddSeconds(22), CancellationToken.None);
        Assert.Empty(await store.PendingAsync(DateTimeOffset.MaxValue, 10, CancellationToken.None));
    }
}
