using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace Monitor.Checks.Kubernetes;

/// <summary>
/// A kubeconfig <c>exec</c> credential plugin (aws eks get-token, kubelogin, gke-gcloud-auth-plugin) run as
/// client-go runs it: KubernetesClient prepares the process (<c>KUBERNETES_EXEC_INFO</c>, the user's env), the
/// arguments are passed one by one, stdout is the ExecCredential, and the credential is reused until 30 s
/// before its <c>expirationTimestamp</c>. A plugin that fails is a check failure whose message is its stderr.
/// </summary>
internal sealed class ExecCredentialSource(ExternalExecution exec, string? directory, TimeProvider time) : IDisposable
{
    private const int MaxOutput = 1 << 20;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ExecCredentialResponse.ExecStatus? _status;

    public async Task<ExecCredentialResponse.ExecStatus> GetAsync(bool refresh, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!refresh && _status is { } cached && (cached.ExpirationTimestamp is not { } expires || time.GetUtcNow().UtcDateTime.AddSeconds(30) < expires.ToUniversalTime()))
            {
                return cached;
            }

            _status = await RunAsync(cancellationToken);
            return _status;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ExecCredentialResponse.ExecStatus> RunAsync(CancellationToken cancellationToken)
    {
        Process process;
        try
        {
            process = KubernetesClientConfiguration.CreateRunnableExternalProcess(exec, (_, _) => { });
        }
        catch (KubeConfigException e)
        {
            throw new ProbeException(FailureReasons.Config, $"exec credential plugin: {e.Message}");
        }

        using (process)
        {
            string command = exec.Command;
            if (command.Contains('/', StringComparison.Ordinal) && !Path.IsPathRooted(command) && directory is not null)
            {
                command = Path.Combine(directory, command);
            }

            process.StartInfo.FileName = command;
            process.StartInfo.Arguments = string.Empty;
            foreach (string argument in exec.Arguments ?? [])
            {
                process.StartInfo.ArgumentList.Add(argument);
            }

            try
            {
                process.Start();
            }
            catch (Win32Exception e)
            {
                string hint = exec.InstallHint is { Length: > 0 } h ? $" ({h.Trim()})" : string.Empty;
                throw new ProbeException(FailureReasons.Auth, $"exec credential plugin {exec.Command}: {e.Message}{hint}");
            }

            var stdout = ReadBoundedAsync(process.StandardOutput, cancellationToken);
            var stderr = ReadBoundedAsync(process.StandardError, cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            string output = await stdout;
            string errors = (await stderr).Trim();
            if (process.ExitCode != 0)
            {
                throw new ProbeException(FailureReasons.Auth, $"exec credential plugin {exec.Command} exited {process.ExitCode}: {(errors.Length > 0 ? errors : "(no stderr)")}");
            }

            ExecCredentialResponse? response;
            try
            {
                response = KubernetesJson.Deserialize<ExecCredentialResponse>(output);
            }
            catch (JsonException e)
            {
                throw new ProbeException(FailureReasons.Auth, $"exec credential plugin {exec.Command} printed no ExecCredential: {e.Message}");
            }

            if (response is null || response.ApiVersion != exec.ApiVersion)
            {
                throw new ProbeException(FailureReasons.Auth, $"exec credential plugin {exec.Command}: its apiVersion {response?.ApiVersion ?? "(none)"} is not the kubeconfig's {exec.ApiVersion}");
            }

            if (response.Status is not { } status || !status.IsValid())
            {
                throw new ProbeException(FailureReasons.Auth, $"exec credential plugin {exec.Command}: the ExecCredential has no token and no client certificate");
            }

            return status;
        }
    }

    public void Dispose() => _gate.Dispose();

    private static async Task<string> ReadBoundedAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var buffer = new char[8192];
        var text = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (text.Length < MaxOutput)
            {
                text.Append(buffer, 0, Math.Min(read, MaxOutput - text.Length));
            }
        }

        return text.ToString();
    }
}
