using System.Text;

namespace Monitor.Rules.PromQL;

/// <summary>Splits a PromQL expression into tokens (Prometheus' lexer rules for the supported subset).</summary>
internal static class Lexer
{
    public static List<Token> Tokenize(string input)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < input.Length)
        {
            char c = input[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '#')
            {
                while (i < input.Length && input[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            int start = i;
            bool afterBracket = tokens.Count > 0 && tokens[^1].Kind == TokenKind.LeftBracket;
            if (afterBracket && char.IsAsciiDigit(c))
            {
                while (i < input.Length && char.IsAsciiLetterOrDigit(input[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Duration, input[start..i], start));
                continue;
            }

            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < input.Length && char.IsAsciiDigit(input[i + 1])))
            {
                i = ScanNumber(input, i);
                tokens.Add(new Token(TokenKind.Number, input[start..i], start));
                continue;
            }

            if (char.IsAsciiLetter(c) || c is '_' or ':')
            {
                while (i < input.Length && (char.IsAsciiLetterOrDigit(input[i]) || input[i] is '_' or ':'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, input[start..i], start));
                continue;
            }

            if (c is '"' or '\'' or '`')
            {
                tokens.Add(new Token(TokenKind.String, ScanString(input, ref i), start));
                continue;
            }

            (TokenKind kind, int length) = (c, i + 1 < input.Length ? input[i + 1] : '\0') switch
            {
                ('=', '~') => (TokenKind.EqlRegex, 2),
                ('!', '~') => (TokenKind.NeqRegex, 2),
                ('=', '=') => (TokenKind.Eql, 2),
                ('!', '=') => (TokenKind.Neq, 2),
                ('>', '=') => (TokenKind.Gte, 2),
                ('<', '=') => (TokenKind.Lte, 2),
                ('=', _) => (TokenKind.Assign, 1),
                ('>', _) => (TokenKind.Gtr, 1),
                ('<', _) => (TokenKind.Lss, 1),
                ('+', _) => (TokenKind.Add, 1),
                ('-', _) => (TokenKind.Sub, 1),
                ('*', _) => (TokenKind.Mul, 1),
                ('/', _) => (TokenKind.Div, 1),
                ('%', _) => (TokenKind.Mod, 1),
                ('^', _) => (TokenKind.Pow, 1),
                ('(', _) => (TokenKind.LeftParen, 1),
                (')', _) => (TokenKind.RightParen, 1),
                ('{', _) => (TokenKind.LeftBrace, 1),
                ('}', _) => (TokenKind.RightBrace, 1),
                ('[', _) => (TokenKind.LeftBracket, 1),
                (']', _) => (TokenKind.RightBracket, 1),
                (',', _) => (TokenKind.Comma, 1),
                (':', _) => (TokenKind.Colon, 1),
                _ => throw new PromQLException($"unexpected character '{c}'", i),
            };
            tokens.Add(new Token(kind, input.Substring(i, length), i));
            i += length;
        }

        tokens.Add(new Token(TokenKind.Eof, string.Empty, input.Length));
        return tokens;
    }

    private static int ScanNumber(string input, int i)
    {
        if (input[i] == '0' && i + 1 < input.Length && input[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < input.Length && char.IsAsciiHexDigit(input[i]))
            {
                i++;
            }

            return i;
        }

        while (i < input.Length && (char.IsAsciiDigit(input[i]) || input[i] == '.'))
        {
            i++;
        }

        if (i < input.Length && input[i] is 'e' or 'E' && i + 1 < input.Length && (char.IsAsciiDigit(input[i + 1]) || (input[i + 1] is '+' or '-' && i + 2 < input.Length && char.IsAsciiDigit(input[i + 2]))))
        {
            i += 2;
            while (i < input.Length && char.IsAsciiDigit(input[i]))
            {
                i++;
            }
        }

        return i;
    }

    private static string ScanString(string input, ref int i)
    {
        char quote = input[i];
        int start = i++;
        var sb = new StringBuilder();
        while (i < input.Length && input[i] != quote)
        {
            char c = input[i++];
            if (c == '\\' && quote != '`' && i < input.Length)
            {
                char e = input[i++];
                sb.Append(e switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '\\' => '\\',
                    '"' => '"',
                    '\'' => '\'',
                    _ => throw new PromQLException($"unknown escape sequence \\{e}", i - 2),
                });
            }
            else
            {
                sb.Append(c);
            }
        }

        if (i >= input.Length)
        {
            throw new PromQLException("unterminated quoted string", start);
        }

        i++;
        return sb.ToString();
    }
}
