namespace Monitor.Checks;

/// <summary>A failure with a known reason, raised inside handler callbacks and unwrapped by the check.</summary>
internal sealed class ProbeException : Exception
{
    public ProbeException(string reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
    }

    public ProbeException()
    {
        Reason = FailureReasons.Internal;
    }

    public ProbeException(string message)
        : base(message)
    {
        Reason = FailureReasons.Internal;
    }

    public ProbeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = FailureReasons.Internal;
    }

    public string Reason { get; }
}
