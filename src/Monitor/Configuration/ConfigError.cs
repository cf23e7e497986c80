namespace Monitor.Configuration;

/// <summary>One configuration error, printed as <c>FILE:LINE:COL: message</c>.</summary>
internal sealed record ConfigError(string File, long Line, long Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
