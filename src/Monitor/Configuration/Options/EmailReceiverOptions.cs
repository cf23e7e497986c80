namespace Monitor.Configuration;

internal sealed record EmailReceiverOptions
{
    public required SmtpOptions Smtp { get; init; }

    public required string From { get; init; }

    public required IReadOnlyList<string> To { get; init; }
}
