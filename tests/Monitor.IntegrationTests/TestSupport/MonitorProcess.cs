using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>The real <c>monitor</c> executable, run on a config file in a temp directory.</summary>
internal sealed class MonitorProcess : IAsyncDisposable
{
    private readonly ExternalProcess _process;

    private MonitorProcess(ExternalProcess process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
        BaseUri = new Uri($"http://127.0.0.1:{port}");
    }

    public string Directory { get; }

    public int Port { get; }

    public Uri BaseUri { get; }

    public string ConfigPath => Path.Combine(Directory, "monitor.yaml");

    public string Output => _process.Output;

    public int Pid => _process.Id;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Starts Monitor with <paramref name="configBody"/> (the listen address is added) and waits for /readyz.</summary>
    /// <param name="launcher">A program that starts Monitor's command line, as a user's shell might (<c>nohup</c>).</param>
    public static async Task<MonitorProcess> StartAsync(string configBody, IDictionary<string, string>? environment = null, string? directory = null, int? port = null, bool waitReady = true, string? launcher = null)
    {
        string dir = directory ?? Tools.TempDirectory();
        int listen = port ?? FreePort.Get();
        await File.WriteAllTextAsync(Path.Combine(dir, "monitor.yaml"), ConfigWithListen(configBody, listen));
        string[] command = ["dotnet", Tools.MonitorDll, "run", "--config", Path.Combine(dir, "monitor.yaml")];
        var process = launcher is null
            ? new ExternalProcess(command[0], command[1..], environment, dir)
            : new ExternalProcess(launcher, command, environment, dir);
        var monitor = new MonitorProcess(process, dir, listen);
        if (!waitReady)
        {
            return monitor;
        }

        await monitor.WaitReadyAsync();
        return monitor;
    }

    /// <summary>Waits until <c>/readyz</c> answers 200 (the process started with <c>waitReady: false</c>).</summary>
    public Task WaitReadyAsync() => Eventually.HoldsAsync(
        async () => !_process.HasExited && (await Http.GetAsync(new Uri(BaseUri, "/readyz"))).IsSuccessStatusCode,
        TimeSpan.FromSeconds(60),
        () => $"Monitor did not become ready:\n{_process.Output}");

    public static string ConfigWithListen(string configBody, int port) =>
        $"server:\n  listen: 127.0.0.1:{port}\n{configBody.Replace("server:\n", string.Empty, StringComparison.Ordinal)}";

    public async Task<string> GetStringAsync(string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, path));
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public void Signal(string signal) => _process.Signal(signal);

    /// <summary>Keep the directory (and the store in it) when disposed, for a restart in the same place.</summary>
    public bool KeepDirectory { get; set; }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Signal("KILL");
        }

        await _process.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        _process.Dispose();
        Http.Dispose();
        await Task.CompletedTask;
        if (KeepDirectory)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
