using System.Text;
using Monitor.GoCompat;

namespace Monitor.Templating;

internal enum TokenType
{
    Error,
    Eof,
    Text,
    LeftDelim,
    RightDelim,
    Comment,
    Space,
    Identifier,
    Keyword,
    Field,
    Variable,
    Dot,
    Bool,
    Number,
    CharConstant,
    String,
    RawString,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
}

/// <summary>A token of a Go template: its type, text, offset into the source (UTF-16) and line (1-based).</summary>
internal readonly record struct TemplateToken(TokenType Type, string Value, int Pos, int Line)
{
    public override string ToString() => Type switch
    {
        TokenType.Eof => "EOF",
        TokenType.Error => Value,
        TokenType.Keyword => $"<{Value}>",
        _ when Value.EnumerateRunes().Count() > 10 => GoText.Quote(string.Concat(Value.EnumerateRunes().Take(10))) + "...",
        _ => GoText.Quote(Value),
    };
}

/// <summary>
/// Go's text/template lexer (text/template/parse/lex.go, Go 1.19): <c>{{ }}</c> delimiters with <c>{{- </c> and
/// <c> -}}</c> trimming, comments, and the tokens of actions, with its error texts.
/// </summary>
internal sealed class GoTemplateLexer
{
    private const string LeftDelim = "{{";
    private const string RightDelim = "}}";
    private const string LeftComment = "/*";
    private const string RightComment = "*/";

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "block", "break", "continue", "define", "else", "end", "if", "range", "nil", "template", "with",
    };

    private readonly string _input;
    private readonly List<TemplateToken> _tokens = [];
    private int _pos;
    private int _start;
    private int _line = 1;
    private int _startLine = 1;
    private int _parenDepth;

    private GoTemplateLexer(string input) => _input = input;

    /// <summary>All tokens, ending with an Eof or an Error token.</summary>
    public static List<TemplateToken> Lex(string input)
    {
        var lexer = new GoTemplateLexer(input);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        while (true)
        {
            if (!LexText())
            {
                return;
            }

            if (!LexLeftDelim())
            {
                return;
            }
        }
    }

    private void Emit(TokenType type)
    {
        _tokens.Add(new TemplateToken(type, _input[_start.._pos], _start, _startLine));
        _start = _pos;
        _startLine = _line;
    }

    private void Ignore()
    {
        _start = _pos;
        _startLine = _line;
    }

    private static int Count(string s, int from, int to)
    {
        int n = 0;
        for (int i = from; i < to; i++)
        {
            if (s[i] == '\n')
            {
                n++;
            }
        }

        return n;
    }

    private bool Error(string message)
    {
        _tokens.Add(new TemplateToken(TokenType.Error, message, _start, _startLine));
        return false;
    }

    private int Next()
    {
        if (_pos >= _input.Length)
        {
            _pos = _input.Length + 1;
            return -1;
        }

        char c = _input[_pos++];
        if (c == '\n')
        {
            _line++;
        }

        return c;
    }

    private void Backup()
    {
        if (_pos > _input.Length)
        {
            _pos = _input.Length;
            return;
        }

        _pos--;
        if (_input[_pos] == '\n')
        {
            _line--;
        }
    }

    private int Peek()
    {
        int c = Next();
        Backup();
        return c;
    }

    private static bool IsSpace(int c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsAlphaNumeric(int c) => c == '_' || (c >= 0 && (char.IsLetterOrDigit((char)c)));

    private bool At(string s, int at) => string.CompareOrdinal(_input, at, s, 0, s.Length) == 0 && at + s.Length <= _input.Length;

    // A left trim marker is "{{- " (the space is required); a right one is " -}}".
    private bool HasLeftTrim(int at) => at + 1 < _input.Length && _input[at] == '-' && IsSpace(_input[at + 1]);

    private bool AtRightDelim(out bool trim)
    {
        trim = false;
        if (_pos + 1 < _input.Length && IsSpace(_input[_pos]) && _input[_pos + 1] == '-' && At(RightDelim, _pos + 2))
        {
            trim = true;
            return true;
        }

        return At(RightDelim, _pos);
    }

    private bool LexText()
    {
        int x = _input.IndexOf(LeftDelim, _pos, StringComparison.Ordinal);
        if (x < 0)
        {
            Advance(_input.Length - _pos);
            if (_pos > _start)
            {
                Emit(TokenType.Text);
            }

            _tokens.Add(new TemplateToken(TokenType.Eof, "", _pos, _line));
            return false;
        }

        int end = x;
        if (HasLeftTrim(x + LeftDelim.Length))
        {
            while (end > _start && IsSpace(_input[end - 1]))
            {
                end--;
            }
        }

        if (end > _start)
        {
            _tokens.Add(new TemplateToken(TokenType.Text, _input[_start..end], _start, _startLine));
        }

        Advance(x - _pos);
        Ignore();
        return true;
    }

    /// <summary>Moves forward <paramref name="n"/> characters, counting lines.</summary>
    private void Advance(int n)
    {
        _line += Count(_input, _pos, _pos + n);
        _pos += n;
    }

    private bool LexLeftDelim()
    {
        Advance(LeftDelim.Length);
        bool trim = HasLeftTrim(_pos);
        int afterMarker = trim ? 2 : 0;
        if (At(LeftComment, _pos + afterMarker))
        {
            Advance(afterMarker);
            Ignore();
            return LexComment();
        }

        Emit(TokenType.LeftDelim);
        Advance(afterMarker);
        Ignore();
        _parenDepth = 0;
        return LexInsideAction();
    }

    private bool LexComment()
    {
        Advance(LeftComment.Length);
        int x = _input.IndexOf(RightComment, _pos, StringComparison.Ordinal);
        if (x < 0)
        {
            return Error("unclosed comment");
        }

        Advance(x - _pos + RightComment.Length);
        bool delim = AtRightDelim(out bool trim);
        if (!delim)
        {
            return Error("comment ends before closing delimiter");
        }

        Emit(TokenType.Comment);
        Advance((trim ? 2 : 0) + RightDelim.Length);
        if (trim)
        {
            SkipTrailingSpace();
        }

        Ignore();
        return true;
    }

    private void SkipTrailingSpace()
    {
        while (_pos < _input.Length && IsSpace(_input[_pos]))
        {
            Advance(1);
        }
    }

    private bool LexRightDelim(bool trim)
    {
        if (trim)
        {
            Advance(2);
            Ignore();
        }

        Advance(RightDelim.Length);
        Emit(TokenType.RightDelim);
        if (trim)
        {
            SkipTrailingSpace();
            Ignore();
        }

        return true;
    }

    private bool LexInsideAction()
    {
        while (true)
        {
            if (AtRightDelim(out bool trim))
            {
                if (_parenDepth == 0)
                {
                    return LexRightDelim(trim);
                }

                return Error("unclosed left paren");
            }

            int r = Next();
            switch (r)
            {
                case -1:
                    return Error("unclosed action");
                case var c when IsSpace(c):
                    Backup();
                    LexSpace();
                    break;
                case '=':
                    Emit(TokenType.Assign);
                    break;
                case ':':
                    if (Next() != '=')
                    {
                        return Error("expected :=");
                    }

                    Emit(TokenType.Declare);
                    break;
                case '|':
                    Emit(TokenType.Pipe);
                    break;
                case '"':
                    if (!LexQuote())
                    {
                        return false;
                    }

                    break;
                case '`':
                    if (!LexRawQuote())
                    {
                        return false;
                    }

                    break;
                case '$':
                    if (!LexVariable())
                    {
                        return false;
                    }

                    break;
                case '\'':
                    if (!LexChar())
                    {
                        return false;
                    }

                    break;
                case '.':
                    if (_pos < _input.Length && !char.IsAsciiDigit(_input[_pos]))
                    {
                        if (!LexField())
                        {
                            return false;
                        }

                        break;
                    }

                    Backup();
                    if (!LexNumber())
                    {
                        return false;
                    }

                    break;
                case '+' or '-' or (>= '0' and <= '9'):
                    Backup();
                    if (!LexNumber())
                    {
                        return false;
                    }

                    break;
                case var c when IsAlphaNumeric(c):
                    Backup();
                    if (!LexIdentifier())
                    {
                        return false;
                    }

                    break;
                case '(':
                    Emit(TokenType.LeftParen);
                    _parenDepth++;
                    break;
                case ')':
                    Emit(TokenType.RightParen);
                    _parenDepth--;
                    if (_parenDepth < 0)
                    {
                        return Error("unexpected right paren");
                    }

                    break;
                case ',':
                    Emit(TokenType.Comma);
                    break;
                default:
                    return Error($"unrecognized character in action: {GoText.UnicodeNotation(r)}");
            }
        }
    }

    private void LexSpace()
    {
        while (IsSpace(Peek()))
        {
            // A space before a right trim marker belongs to the marker.
            if (AtRightDelim(out bool trim) && trim)
            {
                break;
            }

            Next();
        }

        Emit(TokenType.Space);
    }

    private bool AtTerminator()
    {
        int r = Peek();
        if (IsSpace(r) || r == -1)
        {
            return true;
        }

        return r is '.' or ',' or '|' or ':' or ')' or '(' || At(RightDelim, _pos);
    }

    private bool LexIdentifier()
    {
        while (IsAlphaNumeric(Peek()))
        {
            Next();
        }

        if (!AtTerminator())
        {
            return Error($"bad character {GoText.UnicodeNotation(Peek())}");
        }

        string word = _input[_start.._pos];
        if (Keywords.Contains(word))
        {
            Emit(TokenType.Keyword);
        }
        else if (word is "true" or "false")
        {
            Emit(TokenType.Bool);
        }
        else if (word.StartsWith('.'))
        {
            Emit(TokenType.Field);
        }
        else
        {
            Emit(TokenType.Identifier);
        }

        return true;
    }

    private bool LexField() => LexFieldOrVariable(TokenType.Field);

    private bool LexVariable()
    {
        if (AtTerminator())
        {
            Emit(TokenType.Variable);
            return true;
        }

        return LexFieldOrVariable(TokenType.Variable);
    }

    private bool LexFieldOrVariable(TokenType type)
    {
        if (AtTerminator())
        {
            Emit(type == TokenType.Variable ? TokenType.Variable : TokenType.Dot);
            return true;
        }

        while (IsAlphaNumeric(Peek()))
        {
            Next();
        }

        if (!AtTerminator())
        {
            return Error($"bad character {GoText.UnicodeNotation(Peek())}");
        }

        Emit(type);
        return true;
    }

    private bool LexChar()
    {
        while (true)
        {
            int r = Next();
            if (r == '\\')
            {
                if (Next() is not (-1 or '\n'))
                {
                    continue;
                }

                return Error("unterminated character constant");
            }

            if (r is -1 or '\n')
            {
                return Error("unterminated character constant");
            }

            if (r == '\'')
            {
                break;
            }
        }

        Emit(TokenType.CharConstant);
        return true;
    }

    private bool LexNumber()
    {
        if (!ScanNumber())
        {
            return Error($"bad number syntax: \"{_input[_start.._pos]}\"");
        }

        Emit(TokenType.Number);
        return true;
    }

    private bool ScanNumber()
    {
        if (Peek() is '+' or '-')
        {
            Next();
        }

        string digits = "0123456789_";
        if (Peek() == '0')
        {
            Next();
            switch (Peek())
            {
                case 'x' or 'X':
                    Next();
                    digits = "0123456789abcdefABCDEF_";
                    break;
                case 'o' or 'O':
                    Next();
                    digits = "01234567_";
                    break;
                case 'b' or 'B':
                    Next();
                    digits = "01_";
                    break;
            }
        }

        AcceptRun(digits);
        if (Peek() == '.')
        {
            Next();
            AcceptRun(digits);
        }

        if (digits.Length == 11 && Peek() is 'e' or 'E')
        {
            Next();
            if (Peek() is '+' or '-')
            {
                Next();
            }

            AcceptRun("0123456789_");
        }

        if (digits.Length == 23 && Peek() is 'p' or 'P')
        {
            Next();
            if (Peek() is '+' or '-')
            {
                Next();
            }

            AcceptRun("0123456789_");
        }

        if (Peek() == 'i')
        {
            Next();
        }

        if (IsAlphaNumeric(Peek()))
        {
            Next();
            return false;
        }

        return true;
    }

    private void AcceptRun(string valid)
    {
        while (Peek() is var c && c >= 0 && valid.Contains((char)c, StringComparison.Ordinal))
        {
            Next();
        }
    }

    private bool LexQuote()
    {
        while (true)
        {
            int r = Next();
            if (r == '\\')
            {
                if (Next() is not (-1 or '\n'))
                {
                    continue;
                }

                return Error("unterminated quoted string");
            }

            if (r is -1 or '\n')
            {
                return Error("unterminated quoted string");
            }

            if (r == '"')
            {
                break;
            }
        }

        Emit(TokenType.String);
        return true;
    }

    private bool LexRawQuote()
    {
        while (true)
        {
            int r = Next();
            if (r == -1)
            {
                return Error("unterminated raw quoted string");
            }

            if (r == '`')
            {
                break;
            }
        }

        Emit(TokenType.RawString);
        return true;
    }

    /// <summary>The UTF-8 byte column of <paramref name="pos"/> on its line, as Go's ErrorContext gives it.</summary>
    public static (int Line, int Column) Location(string input, int pos)
    {
        pos = Math.Min(pos, input.Length);
        int lastNewline = input.LastIndexOf('\n', Math.Max(0, pos - 1));
        if (pos == 0)
        {
            lastNewline = -1;
        }

        int line = 1 + Count(input, 0, pos);
        int column = lastNewline < 0
            ? Encoding.UTF8.GetByteCount(input.AsSpan(0, pos))
            : Encoding.UTF8.GetByteCount(input.AsSpan(lastNewline + 1, pos - lastNewline - 1));
        return (line, column);
    }
}
