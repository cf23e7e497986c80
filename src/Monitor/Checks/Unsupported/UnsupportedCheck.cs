using Monitor.Configuration;

namespace Monitor.Checks.Unsupported;

/// <summary>
/// Stands for a kind whose configuration is accepted but whose collector is not built yet (postgres,
/// nvidia_smi, scrape, kubernetes arrive in later issues): it fails visibly with reason
/// <c>not_implemented</c> rather than silently doing nothing.
/// </summary>
internal sealed class UnsupportedCheck(CheckOptions options) : ICheck
{
    public CheckOptions Options { get; } = options;

    public Task<CheckResult> RunAsync(CancellationToken cancellationToken) =>
        Task.FromResult(CheckResult.Fail(FailureReasons.NotImplemented, $"{Options.Kind} checks are not implemented in this version"));

    public void Dispose()
    {
    }
}
