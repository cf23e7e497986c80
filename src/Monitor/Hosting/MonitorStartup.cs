using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Monitor.Hosting;

/// <summary>Applies the initial configuration before the scheduler starts, and reloads on SIGHUP.</summary>
internal sealed class MonitorStartup(MonitorRuntime runtime) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _sighup;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await runtime.StartAsync(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                runtime.Reload("SIGHUP");
            });
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _sighup?.Dispose();
}
