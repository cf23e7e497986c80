using System.Diagnostics;
using System.Globalization;
using Monitor.Checks.Postgres;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Postgres;

/// <summary>
/// One postgres check run against one postgres_exporter scrape of the same server, alternated, N times each:
/// <c>dotnet run -c Release --project bench/Monitor.Benchmarks -- postgres DSN EXPORTER_URL [N] [--statements]</c>.
/// </summary>
internal static class PostgresCheckBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string dsn = args[0];
        var exporter = new Uri(args[1]);
        int n = args.Length > 2 && !args[2].StartsWith('-') ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50;
        bool statements = args.Contains("--statements");
        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "db",
            Kind = PostgresCheck.Kind,
            Settings = new PostgresCheckOptions { Dsn = new Secret(dsn), Statements = statements },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        using var check = new PostgresCheck(options, new SeriesScope(store, "db", new Dictionary<string, string>()));
        using var http = new HttpClient();
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int i = 0; i < n + 5; i++)
        {
            var sw = Stopwatch.StartNew();
            var result = await check.RunAsync(CancellationToken.None);
            double oursMs = sw.Elapsed.TotalMilliseconds;
            if (!result.Success)
            {
                throw new InvalidOperationException(result.Error);
            }

            sw.Restart();
            await http.GetStringAsync(exporter);
            double theirsMs = sw.Elapsed.TotalMilliseconds;
            if (i >= 5)
            {
                ours.Add(oursMs);
                theirs.Add(theirsMs);
            }
        }

        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"runs {n} each (after 5 warm-up), statements {statements}: Monitor postgres check median {Median(ours):0.00} ms, postgres_exporter scrape median {Median(theirs):0.00} ms, ratio {Median(ours) / Median(theirs):0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"series published by the check: {store.Families.Sum(f => f.Count)}"));
        return 0;
    }
}
