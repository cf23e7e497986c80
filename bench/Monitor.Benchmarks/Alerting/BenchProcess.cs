using System.Diagnostics;

namespace Monitor.Benchmarks.Alerting;

/// <summary>Starts a system under test with its output drained (and discarded), in its own directory.</summary>
internal static class BenchProcess
{
    public static Process Start(string file, string[] args, string dir)
    {
        var process = Process.Start(new ProcessStartInfo(file, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
