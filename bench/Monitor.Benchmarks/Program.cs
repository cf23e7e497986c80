using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Monitor.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Monitor.Benchmarks -- --filter '*Exposition*'</c> runs the
/// BenchmarkDotNet suites; <c>-- load ...</c> runs the 10k-target load harness (see docs/benchmarks.md).
/// </summary>
internal static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "rules-profile")
        {
            Rules.RuleEvaluationBenchmarks.Profile();
            return 0;
        }

        if (args.Length > 0 && args[0] == "scrape-rules")
        {
            return Scrape.ScrapeWithRulesHarness.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "scrape-rules-vs")
        {
            return await Scrape.ScrapeRulesSideBySide.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "rules-profile-1d")
        {
            Rules.LongRangeRuleBenchmarks.Profile();
            return 0;
        }

        if (args.Length > 1 && args[0] == "postgres")
        {
            return await Postgres.PostgresCheckBench.RunAsync(args[1..]);
        }

        if (args.Length > 1 && args[0] == "storm")
        {
            return await Alerting.StormHarness.RunAsync(args[1..]);
        }

        if (args.Length > 1 && args[0] == "crash")
        {
            return await Alerting.CrashHarness.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "soak")
        {
            return await Alerting.SoakHarness.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "breach")
        {
            return await Alerting.BreachHarness.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "logs-load")
        {
            return await Logs.LogsLoadHarness.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "kube-load")
        {
            return await Kubernetes.KubeLoadHarness.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "kube-logs")
        {
            return await Kubernetes.KubeLoadHarness.RunLogsAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "load")
        {
            return await Load.LoadHarness.RunAsync(args[1..]);
        }

        // In-process: BenchmarkDotNet's generated project cannot restore Quartz's pinned 10.0.11 abstractions
        // (NU1605), and the harness is Release-built by `dotnet run -c Release` anyway.
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args, config);
        return 0;
    }
}
