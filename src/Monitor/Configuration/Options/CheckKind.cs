namespace Monitor.Configuration;

internal enum CheckKind
{
    Http,
    Tcp,
    Postgres,
    NvidiaSmi,
    Scrape,
    Disk,
    Kubernetes,
}
