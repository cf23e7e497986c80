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
        if (args.Length > 0 && args[0] == "expprobe")
        {
            foreach (int n in new[] { 10_000, 100_000 })
            {
                foreach (bool integral in new[] { false, true })
                {
                    var b = new Exposition.ExpositionBenchmarks { Series = n };
                    b.Setup();
                    if (integral)
                    {
                        foreach (var f in b.Store.Families)
                        {
                            foreach (var s in f.Snapshot)
                            {
                                ((Monitor.Metrics.Sample)s).Set(200);
                            }
                        }
                    }

                    for (int i = 0; i < 20; i++)
                    {
                        b.Text004();
                    }

                    long t0 = TimeProvider.System.GetTimestamp();
                    for (int i = 0; i < 50; i++)
                    {
                        b.Text004();
                    }

                    Console.WriteLine($"{n} integral={integral}: {TimeProvider.System.GetElapsedTime(t0).TotalMilliseconds / 50:0.00} ms");
                }
            }

            return 0;
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
