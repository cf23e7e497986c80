namespace Monitor.Rules.PromQL;

internal readonly record struct Token(TokenKind Kind, string Text, int Position);
