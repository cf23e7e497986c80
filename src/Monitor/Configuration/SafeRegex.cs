using System.Text.RegularExpressions;

namespace Monitor.Configuration;

/// <summary>
/// How Monitor builds the regular expressions users and targets give it (config <c>keep</c>/<c>drop</c>/
/// <c>exclude_*</c>/<c>match_re</c>, silence matchers): on .NET's non-backtracking engine, which like
/// Prometheus' and Alertmanager's RE2 takes time linear in the input, so no pattern can stall a check or the
/// alert pipeline. Only a pattern that needs a construct that engine lacks (backreferences, lookarounds, atomic
/// groups, conditionals) gets the backtracking engine, and then with <see cref="MatchTimeout"/>: a match that
/// runs out throws <see cref="RegexMatchTimeoutException"/>, which the user of the regex reports as a failure
/// of that one evaluation.
/// </summary>
internal static class SafeRegex
{
    /// <summary>How long one match of a backtracking pattern may take.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary><c>^(?:PATTERN)$</c>, exactly as it is matched; invalid patterns throw <see cref="ArgumentException"/>.</summary>
    public static Regex Anchored(string pattern, bool linearOnly = false) => Create($"^(?:{pattern})$", linearOnly);

    /// <summary>
    /// Compiles <paramref name="pattern"/> non-backtracking; where it cannot be, backtracking with the timeout, or,
    /// with <paramref name="linearOnly"/>, an <see cref="ArgumentException"/> saying which kind of construct is the
    /// problem (what RE2 rejects too).
    /// </summary>
    public static Regex Create(string pattern, bool linearOnly = false, RegexOptions options = RegexOptions.None)
    {
        options |= RegexOptions.CultureInvariant;
        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking, MatchTimeout);
        }
        catch (NotSupportedException e) when (!linearOnly)
        {
            _ = e;
            return new Regex(pattern, options, MatchTimeout);
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException($"not supported (backreferences, lookarounds, atomic groups and conditionals are not, as in RE2): {e.Message}", nameof(pattern), e);
        }
    }
}
