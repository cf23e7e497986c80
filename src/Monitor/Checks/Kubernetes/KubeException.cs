namespace Monitor.Checks.Kubernetes;

/// <summary>An API server answer the check cannot use; <see cref="Reason"/> is the failure reason label.</summary>
internal sealed class KubeException : Exception
{
    public KubeException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public KubeException()
    {
        Reason = FailureReasons.Internal;
    }

    public KubeException(string message)
        : base(message)
    {
        Reason = FailureReasons.Internal;
    }

    public KubeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = FailureReasons.Internal;
    }

    public string Reason { get; }
}
