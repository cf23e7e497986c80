namespace Monitor.Checks.Scrape;

/// <summary>Malformed exposition text, with the 1-based line and column of the problem.</summary>
internal sealed class ExpositionParseException : Exception
{
    public ExpositionParseException(int line, int column, string message)
        : base($"line {line}, column {column}: {message}")
    {
        Line = line;
        Column = column;
    }

    public ExpositionParseException()
    {
    }

    public ExpositionParseException(string message)
        : base(message)
    {
    }

    public ExpositionParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Line { get; }

    public int Column { get; }
}
