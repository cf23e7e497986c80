using Monitor.Configuration;

namespace Monitor.Alerting;

/// <summary>Opens the alert store a configuration names.</summary>
internal interface IAlertStoreFactory
{
    IAlertStore Open(StorageOptions storage);
}

/// <summary>SQLite by default, PostgreSQL for a store shared by replicas.</summary>
internal sealed class SqlAlertStoreFactory : IAlertStoreFactory
{
    public IAlertStore Open(StorageOptions storage) =>
        storage.Postgres is { } dsn ? SqlAlertStore.Postgres(dsn.Reveal()) : SqlAlertStore.Sqlite(storage.Sqlite ?? "data/monitor.db");
}
