using System.Text;
using Monitor.GoCompat;

namespace Monitor.Rules.PromQL;

/// <summary>A token: its kind, its start (a character offset into the input) and its text.</summary>
internal readonly record struct Item(ItemType Type, int Pos, string Val)
{
    /// <summary>Item.String() of Prometheus' lexer, used in error messages.</summary>
    public override string ToString()
    {
        if (Type == ItemType.Eof)
        {
            return "EOF";
        }

        if (Type == ItemType.Error)
        {
            return Val;
        }

        if (Type is ItemType.Identifier or ItemType.MetricIdentifier)
        {
            return GoText.Quote(Val);
        }

        if (Type.IsKeyword())
        {
            return $"<{Val}>";
        }

        if (Type.IsOperator())
        {
            return $"<op:{Val}>";
        }

        if (Type.IsAggregator())
        {
            return $"<aggr:{Val}>";
        }

        return Val.EnumerateRunes().Count() > 10 ? GoText.QuotePrefix(Val, 10) + "..." : GoText.Quote(Val);
    }

    /// <summary>Item.desc(): what an "unexpected …" message calls the token.</summary>
    public string Describe() =>
        Type.HasSymbol() ? ToString()
        : Type == ItemType.Eof ? Type.Describe()
        : Type == ItemType.At ? $"\"<Item 57385>\" {this}" // "@" has no text in the lexer's table: Go prints the token's number
        : $"{Type.Describe()} {this}";

    public int End => Pos + Val.Length;
}

/// <summary>
/// Prometheus' PromQL lexer (promql/parser/lex.go, 2.42) as a state machine: the same tokens, the same
/// error texts, keywords case-insensitive outside braces, durations inside brackets, comments from <c>#</c> to
/// the end of the line, and the series-description mode of rule unit tests (<c>1+2x3 _ stale</c>).
/// </summary>
internal sealed class Lexer
{
    private const int EofRune = -1;

    private readonly string _input;
    private readonly bool _seriesDesc;
    private State _state = State.Statements;
    private int _pos;
    private int _start;
    private int _width;
    private int _parenDepth;
    private bool _braceOpen;
    private bool _bracketOpen;
    private bool _gotColon;
    private char _stringOpen;
    private Item? _item;

    public Lexer(string input, bool seriesDesc = false)
    {
        _input = input;
        _seriesDesc = seriesDesc;
    }

    private enum State
    {
        Done,
        Statements,
        InsideBraces,
        ValueSequence,
        Duration,
        String,
        RawString,
    }

    /// <summary>Start of the token being scanned (where an error token points).</summary>
    public int Start => _start;

    public string Input => _input;

    public Item NextItem()
    {
        _item = null;
        if (_state == State.Done)
        {
            Emit(ItemType.Eof);
        }

        while (_item is null)
        {
            _state = Step(_state);
        }

        return _item.Value;
    }

    private State Step(State state) => state switch
    {
        State.Statements => LexStatements(),
        State.InsideBraces => LexInsideBraces(),
        State.ValueSequence => LexValueSequence(),
        State.Duration => LexDuration(),
        State.String => LexString(),
        State.RawString => LexRawString(),
        _ => EmitEof(),
    };

    private State EmitEof()
    {
        Emit(ItemType.Eof);
        return State.Done;
    }

    private int Next()
    {
        if (_pos >= _input.Length)
        {
            _width = 0;
            return EofRune;
        }

        if (Rune.TryGetRuneAt(_input, _pos, out var rune))
        {
            _width = rune.Utf16SequenceLength;
            _pos += _width;
            return rune.Value;
        }

        _width = 1;
        _pos++;
        return 0xFFFD;
    }

    private int Peek()
    {
        int r = Next();
        Backup();
        return r;
    }

    private void Backup() => _pos -= _width;

    private void Emit(ItemType type)
    {
        _item = new Item(type, _start, _input[_start.._pos]);
        _start = _pos;
    }

    private void Ignore() => _start = _pos;

    private bool Accept(string valid)
    {
        int r = Next();
        if (r != EofRune && r < 0x10000 && valid.Contains((char)r, StringComparison.Ordinal))
        {
            return true;
        }

        Backup();
        return false;
    }

    private void AcceptRun(string valid)
    {
        while (Accept(valid))
        {
        }
    }

    private State Errorf(string message)
    {
        _item = new Item(ItemType.Error, _start, message);
        return State.Done;
    }

    // An error token after which lexing would go on in Prometheus (escape errors): the parser stops at it anyway.
    private State ErrorAndContinue(string message, State next)
    {
        _item = new Item(ItemType.Error, _start, message);
        return next;
    }

    private static bool IsSpace(int r) => r is ' ' or '\t' or '\n' or '\r';

    private static bool IsDigit(int r) => r is >= '0' and <= '9';

    private static bool IsAlpha(int r) => r == '_' || r is >= 'a' and <= 'z' || r is >= 'A' and <= 'Z';

    private static bool IsAlphaNumeric(int r) => IsAlpha(r) || IsDigit(r);

    /// <summary>isLabel: a valid label name.</summary>
    public static bool IsLabel(string s)
    {
        if (s.Length == 0 || !IsAlpha(s[0]))
        {
            return false;
        }

        foreach (char c in s.AsSpan(1))
        {
            if (!IsAlphaNumeric(c))
            {
                return false;
            }
        }

        return true;
    }

    private State LexStatements()
    {
        if (_braceOpen)
        {
            return State.InsideBraces;
        }

        if (_pos < _input.Length && _input[_pos] == '#')
        {
            return LexLineComment(State.Statements);
        }

        int r = Next();
        switch (r)
        {
            case EofRune:
                if (_parenDepth != 0)
                {
                    return Errorf("unclosed left parenthesis");
                }

                if (_bracketOpen)
                {
                    return Errorf("unclosed left bracket");
                }

                Emit(ItemType.Eof);
                return State.Done;
            case ',':
                Emit(ItemType.Comma);
                break;
            case var _ when IsSpace(r):
                return LexSpace(State.Statements);
            case '*':
                Emit(ItemType.Mul);
                break;
            case '/':
                Emit(ItemType.Div);
                break;
            case '%':
                Emit(ItemType.Mod);
                break;
            case '+':
                Emit(ItemType.Add);
                break;
            case '-':
                Emit(ItemType.Sub);
                break;
            case '^':
                Emit(ItemType.Pow);
                break;
            case '=':
            {
                int t = Peek();
                if (t == '=')
                {
                    Next();
                    Emit(ItemType.Eqlc);
                }
                else if (t == '~')
                {
                    return Errorf($"unexpected character after '=': {GoText.QuoteRune(t)}");
                }
                else
                {
                    Emit(ItemType.Eql);
                }

                break;
            }

            case '!':
            {
                int t = Next();
                if (t == '=')
                {
                    Emit(ItemType.Neq);
                }
                else
                {
                    return Errorf($"unexpected character after '!': {QuoteRuneOrEof(t)}");
                }

                break;
            }

            case '<':
                if (Peek() == '=')
                {
                    Next();
                    Emit(ItemType.Lte);
                }
                else
                {
                    Emit(ItemType.Lss);
                }

                break;
            case '>':
                if (Peek() == '=')
                {
                    Next();
                    Emit(ItemType.Gte);
                }
                else
                {
                    Emit(ItemType.Gtr);
                }

                break;
            case var _ when IsDigit(r) || (r == '.' && IsDigit(Peek())):
                Backup();
                return LexNumberOrDuration();
            case '"' or '\'':
                _stringOpen = (char)r;
                return State.String;
            case '`':
                _stringOpen = '`';
                return State.RawString;
            case var _ when IsAlpha(r) || r == ':':
                if (!_bracketOpen)
                {
                    Backup();
                    return LexKeywordOrIdentifier();
                }

                if (_gotColon)
                {
                    return Errorf($"unexpected colon {GoText.QuoteRune(r)}");
                }

                Emit(ItemType.Colon);
                _gotColon = true;
                break;
            case '(':
                Emit(ItemType.LeftParen);
                _parenDepth++;
                break;
            case ')':
                Emit(ItemType.RightParen);
                _parenDepth--;
                if (_parenDepth < 0)
                {
                    return Errorf($"unexpected right parenthesis {GoText.QuoteRune(r)}");
                }

                break;
            case '{':
                Emit(ItemType.LeftBrace);
                _braceOpen = true;
                return State.InsideBraces;
            case '[':
                if (_bracketOpen)
                {
                    return Errorf($"unexpected left bracket {GoText.QuoteRune(r)}");
                }

                _gotColon = false;
                Emit(ItemType.LeftBracket);
                if (IsSpace(Peek()))
                {
                    SkipSpaces();
                }

                _bracketOpen = true;
                return State.Duration;
            case ']':
                if (!_bracketOpen)
                {
                    return Errorf($"unexpected right bracket {GoText.QuoteRune(r)}");
                }

                Emit(ItemType.RightBracket);
                _bracketOpen = false;
                break;
            case '@':
                Emit(ItemType.At);
                break;
            default:
                return Errorf($"unexpected character: {GoText.QuoteRune(r)}");
        }

        return State.Statements;
    }

    private static string QuoteRuneOrEof(int r) => GoText.QuoteRune(r == EofRune ? 0xFFFD : r);

    private State LexInsideBraces()
    {
        if (_pos < _input.Length && _input[_pos] == '#')
        {
            return LexLineComment(State.InsideBraces);
        }

        int r = Next();
        switch (r)
        {
            case EofRune:
                return Errorf("unexpected end of input inside braces");
            case var _ when IsSpace(r):
                return LexSpace(State.InsideBraces);
            case var _ when IsAlpha(r):
                Backup();
                return LexIdentifier();
            case ',':
                Emit(ItemType.Comma);
                break;
            case '"' or '\'':
                _stringOpen = (char)r;
                return State.String;
            case '`':
                _stringOpen = '`';
                return State.RawString;
            case '=':
                if (Next() == '~')
                {
                    Emit(ItemType.EqlRegex);
                    break;
                }

                Backup();
                Emit(ItemType.Eql);
                break;
            case '!':
            {
                int nr = Next();
                if (nr == '~')
                {
                    Emit(ItemType.NeqRegex);
                }
                else if (nr == '=')
                {
                    Emit(ItemType.Neq);
                }
                else
                {
                    return Errorf($"unexpected character after '!' inside braces: {QuoteRuneOrEof(nr)}");
                }

                break;
            }

            case '{':
                return Errorf($"unexpected left brace {GoText.QuoteRune(r)}");
            case '}':
                Emit(ItemType.RightBrace);
                _braceOpen = false;
                return _seriesDesc ? State.ValueSequence : State.Statements;
            default:
                return Errorf($"unexpected character inside braces: {GoText.QuoteRune(r)}");
        }

        return State.InsideBraces;
    }

    private State LexValueSequence()
    {
        int r = Next();
        switch (r)
        {
            case EofRune:
                return State.Statements;
            case var _ when IsSpace(r):
                Emit(ItemType.Space);
                while (IsSpace(Peek()))
                {
                    Next();
                }

                Ignore();
                break;
            case '+':
                Emit(ItemType.Add);
                break;
            case '-':
                Emit(ItemType.Sub);
                break;
            case 'x':
                Emit(ItemType.Times);
                break;
            case '_':
                Emit(ItemType.Blank);
                break;
            case var _ when IsDigit(r) || (r == '.' && IsDigit(Peek())):
                Backup();
                if (!ScanNumber())
                {
                    return ErrorAndContinue($"bad number syntax: {GoText.Quote(_input[_start.._pos])}", State.ValueSequence);
                }

                Emit(ItemType.Number);
                break;
            case var _ when IsAlpha(r):
                Backup();
                return LexKeywordOrIdentifier();
            default:
                return Errorf($"unexpected character in series sequence: {GoText.QuoteRune(r)}");
        }

        return State.ValueSequence;
    }

    private State LexEscape(State back)
    {
        int ch = Next();
        int n;
        int radix;
        int max;
        switch (ch)
        {
            case 'a' or 'b' or 'f' or 'n' or 'r' or 't' or 'v' or '\\':
                return back;
            case var _ when ch == _stringOpen:
                return back;
            case >= '0' and <= '7':
                (n, radix, max) = (3, 8, 255);
                break;
            case 'x':
                ch = Next();
                (n, radix, max) = (2, 16, 255);
                break;
            case 'u':
                ch = Next();
                (n, radix, max) = (4, 16, 0x10FFFF);
                break;
            case 'U':
                ch = Next();
                (n, radix, max) = (8, 16, 0x10FFFF);
                break;
            case EofRune:
                return ErrorAndContinue("escape sequence not terminated", back);
            default:
                return ErrorAndContinue($"unknown escape sequence {GoText.UnicodeNotation(ch)}", back);
        }

        long x = 0;
        while (n > 0)
        {
            int d = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'a' and <= 'f' => ch - 'a' + 10,
                >= 'A' and <= 'F' => ch - 'A' + 10,
                _ => 16,
            };
            if (d >= radix)
            {
                if (ch == EofRune)
                {
                    return ErrorAndContinue("escape sequence not terminated", back);
                }

                return ErrorAndContinue($"illegal character {GoText.UnicodeNotation(ch)} in escape sequence", back);
            }

            x = (x * radix) + d;
            n--;
            if (n > 0)
            {
                ch = Next();
            }
        }

        if (x > max || (x >= 0xD800 && x < 0xE000))
        {
            return ErrorAndContinue("escape sequence is an invalid Unicode code point", back);
        }

        return back;
    }

    private void SkipSpaces()
    {
        while (IsSpace(Peek()))
        {
            Next();
        }

        Ignore();
    }

    private State LexString()
    {
        while (true)
        {
            int r = Next();
            if (r == '\\')
            {
                var next = LexEscape(State.String);
                if (_item is not null)
                {
                    return next;
                }

                continue;
            }

            if (r == 0xFFFD && _width == 1 && char.IsSurrogate(_input[_pos - 1]))
            {
                return ErrorAndContinue("invalid UTF-8 rune", State.String);
            }

            if (r == EofRune || r == '\n')
            {
                return Errorf("unterminated quoted string");
            }

            if (r == _stringOpen)
            {
                break;
            }
        }

        Emit(ItemType.String);
        return State.Statements;
    }

    private State LexRawString()
    {
        while (true)
        {
            int r = Next();
            if (r == 0xFFFD && _width == 1 && char.IsSurrogate(_input[_pos - 1]))
            {
                return ErrorAndContinue("invalid UTF-8 rune", State.RawString);
            }

            if (r == EofRune)
            {
                return Errorf("unterminated raw string");
            }

            if (r == _stringOpen)
            {
                break;
            }
        }

        Emit(ItemType.String);
        return State.Statements;
    }

    private State LexSpace(State back)
    {
        while (IsSpace(Peek()))
        {
            Next();
        }

        Ignore();
        return back;
    }

    private State LexLineComment(State back)
    {
        _pos++;
        int r = Next();
        while (r is not ('\r' or '\n' or EofRune))
        {
            r = Next();
        }

        Backup();
        Emit(ItemType.Comment);
        return back;
    }

    private State LexDuration()
    {
        if (ScanNumber())
        {
            return Errorf("missing unit character in duration");
        }

        if (!AcceptRemainingDuration())
        {
            return Errorf($"bad duration syntax: {GoText.Quote(_input[_start.._pos])}");
        }

        Backup();
        Emit(ItemType.Duration);
        return State.Statements;
    }

    private State LexNumberOrDuration()
    {
        if (ScanNumber())
        {
            Emit(ItemType.Number);
            return State.Statements;
        }

        if (AcceptRemainingDuration())
        {
            Backup();
            Emit(ItemType.Duration);
            return State.Statements;
        }

        return Errorf($"bad number or duration syntax: {GoText.Quote(_input[_start.._pos])}");
    }

    private bool AcceptRemainingDuration()
    {
        if (!Accept("smhdwy"))
        {
            return false;
        }

        Accept("s");
        while (Accept("0123456789"))
        {
            while (Accept("0123456789"))
            {
            }

            if (!Accept("smhdw"))
            {
                return false;
            }

            Accept("s");
        }

        return !IsAlphaNumeric(Next());
    }

    private bool ScanNumber()
    {
        string digits = "0123456789";
        if (!_seriesDesc && Accept("0") && Accept("xX"))
        {
            digits = "0123456789abcdefABCDEF";
        }

        AcceptRun(digits);
        if (Accept("."))
        {
            AcceptRun(digits);
        }

        if (Accept("eE"))
        {
            Accept("+-");
            AcceptRun("0123456789");
        }

        int r = Peek();
        return (_seriesDesc && r == 'x') || !IsAlphaNumeric(r);
    }

    private State LexIdentifier()
    {
        while (IsAlphaNumeric(Next()))
        {
        }

        Backup();
        Emit(ItemType.Identifier);
        return State.Statements;
    }

    private State LexKeywordOrIdentifier()
    {
        while (true)
        {
            int r = Next();
            if (IsAlphaNumeric(r) || r == ':')
            {
                continue;
            }

            Backup();
            string word = _input[_start.._pos];
            if (ItemTypes.Keywords.TryGetValue(word.ToLowerInvariant(), out var keyword))
            {
                Emit(keyword);
            }
            else if (!word.Contains(':', StringComparison.Ordinal))
            {
                Emit(ItemType.Identifier);
            }
            else
            {
                Emit(ItemType.MetricIdentifier);
            }

            break;
        }

        return _seriesDesc && Peek() != '{' ? State.ValueSequence : State.Statements;
    }
}
