using System.Text;

namespace Monitor.Rules.PromQL;

/// <summary>A parse or evaluation error; parse errors carry the character offset of the offending token.</summary>
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

    /// <summary>0-based character offset in the expression, or -1 for evaluation errors.</summary>
    public int Position { get; } = -1;

    /// <summary>
    /// Prometheus' ParseErr text: <c>LINE:COL: parse error: MESSAGE</c>, the column counted in UTF-8 bytes
    /// from 1 as Go counts it; <paramref name="lineOffset"/> is added to the line.
    /// </summary>
    public string ParseErrorText(string input, int lineOffset = 0)
    {
        if (Position < 0 || Position > input.Length)
        {
            return $"invalid position: parse error: {Message}";
        }

        int line = lineOffset + 1;
        int lastBreak = -1;
        for (int i = 0; i < Position; i++)
        {
            if (input[i] == '\n')
            {
                line++;
                lastBreak = i;
            }
        }

        int col = Encoding.UTF8.GetByteCount(input.AsSpan(lastBreak + 1, Position - lastBreak - 1)) + 1;
        return $"{line}:{col}: parse error: {Message}";
    }
}
