namespace Monitor.Rules.PromQL;

/// <summary>A parse or evaluation error; parse errors carry the 1-based column of the offending token.</summary>
internal sealed class PromQLException : Exception
{
    public PromQLException(string message, int position)
        : base(message)
    {
        Position = position;
    }

    public PromQLException()
    {
    }

    public PromQLException(string message)
        : base(message)
    {
    }

    public PromQLException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>0-based offset in the expression, or -1 for evaluation errors.</summary>
    public int Position { get; } = -1;
}
