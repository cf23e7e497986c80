namespace Monitor.IntegrationTests.TestSupport;

/// <summary>
/// Finds the real peers the tests run against. A missing one fails the test with the Debian package that
/// provides it (./test.sh installs them); it is never silently skipped.
/// </summary>
internal static class Tools
{
    public static string Require(string executable, string debianPackage)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            string candidate = Path.Combine(dir, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{executable} not found: install the Debian package {debianPackage} (./test.sh does it)");
    }

    public static string Promtool => Require("promtool", "prometheus");

    public static string Prometheus => Require("prometheus", "prometheus");

    public static string Amtool => Require("amtool", "prometheus-alertmanager");

    public static string MonitorDll
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "monitor.dll");
            return File.Exists(path) ? path : throw new InvalidOperationException($"monitor.dll not found next to the tests in {AppContext.BaseDirectory}");
        }
    }

    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "monitor-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
