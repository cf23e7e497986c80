using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Monitor.Hosting;

/// <summary>Applies the initial configuration before the scheduler starts, and reloads on SIGHUP.</summary>
internal sealed partial class MonitorStartup(MonitorRuntime runtime) : IHostedService, IDisposable
{
    private const int SigHup = 1;
    private PosixSignalRegistration? _sighup;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await runtime.StartAsync(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            // Started under nohup (or by a shell that ignores it), SIGHUP arrives ignored, and .NET then never delivers
            // it to a registration: reloads would silently do nothing. Go's signal.Notify, which Prometheus uses,
            // takes an ignored SIGHUP back the same way; the registration below replaces the default action at once.
            Signal(SigHup, IntPtr.Zero);
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                runtime.Reload("SIGHUP");
            });
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _sighup?.Dispose();

    /// <summary>signal(2); <see cref="IntPtr.Zero"/> is SIG_DFL.</summary>
    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial IntPtr Signal(int signal, IntPtr handler);
}
