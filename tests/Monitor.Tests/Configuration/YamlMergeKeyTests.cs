using Monitor.Configuration;
using Monitor.Delivery.Email;
using Monitor.Hosting;

namespace Monitor.Tests.Configuration;

/// <summary>YAML anchors and merge keys (<c>&lt;&lt;: *smtp</c>) in the config, with errors at the right line.</summary>
public class YamlMergeKeyTests
{
    private static ConfigLoadResult Parse(string yaml) =>
        MonitorConfig.Parse(yaml, "monitor.yaml", _ => null, p => throw new FileNotFoundException($"no such file {p}"));

    private static string[] Errors(string yaml) => [.. Parse(yaml).Errors.Select(e => e.ToString())];

    [Fact]
    public void MergeKey_SmtpDefinedOnce_MergedIntoTwoReceivers_WithAnOverride()
    {
        var result = Parse("""
            x-smtp: &smtp
              host: mail.example.com
              port: 587
              username: monitor
            receivers:
              - name: ops-mail
                email:
                  smtp: *smtp
                  from: monitor@example.com
                  to: [ops@example.com]
              - name: dba-mail
                email:
                  smtp:
                    <<: *smtp
                    port: 2525
                  from: monitor@example.com
                  to: [dba@example.com]
            """);
        Assert.Empty(result.Errors);
        var receivers = result.Options!.Receivers;
        var ops = receivers[0].SettingsOf<EmailReceiverOptions>().Smtp;
        var dba = receivers[1].SettingsOf<EmailReceiverOptions>().Smtp;
        Assert.Equal(("mail.example.com", 587, "monitor"), (ops.Host, ops.Port, ops.Username));
        Assert.Equal(("mail.example.com", 2525, "monitor"), (dba.Host, dba.Port, dba.Username)); // its own port wins
    }

    [Fact]
    public void MergeKey_ListOfAliases_FirstWins_AndExplicitKeysWinOverAll()
    {
        var result = Parse("""
            x-a: &a { host: a.example.com, port: 25 }
            x-b: &b { host: b.example.com, port: 26, username: b }
            receivers:
              - name: m
                email:
                  smtp: { <<: [*a, *b], username: own }
                  from: monitor@example.com
                  to: [ops@example.com]
            """);
        Assert.Empty(result.Errors);
        var smtp = result.Options!.Receivers[0].SettingsOf<EmailReceiverOptions>().Smtp;
        Assert.Equal(("a.example.com", 25, "own"), (smtp.Host, smtp.Port, smtp.Username));
    }

    [Fact]
    public void MergeKey_ErrorInAnchoredMapping_IsAtItsLine_AndNamesTheField()
    {
        string[] errors = Errors("""
            x-smtp: &smtp
              host: mail.example.com
              port: many
            receivers:
              - name: ops-mail
                email:
                  smtp: { <<: *smtp }
                  from: monitor@example.com
                  to: [ops@example.com]
            """);
        // Line 3, where "many" is written; the field is the receiver's, so the user knows who uses it.
        Assert.Equal(["monitor.yaml:3:9: receivers[0].email.smtp.port: expected an integer, got \"many\""], errors);
    }

    [Fact]
    public void MergeKey_UnknownKeyMergedIn_IsAnErrorAtTheKey_SayingWhereItWasMerged()
    {
        string[] errors = Errors("""
            x-smtp: &smtp
              host: mail.example.com
              hots: typo.example.com
            receivers:
              - name: ops-mail
                email:
                  smtp:
                    <<: *smtp
                  from: monitor@example.com
                  to: [ops@example.com]
            """);
        var error = Assert.Single(errors);
        Assert.StartsWith("monitor.yaml:3:3: receivers[0].email.smtp: unknown key \"hots\", merged in by \"<<\" at line 8 (allowed: ", error);
    }

    [Fact]
    public void MergeKey_OfAScalar_IsOneErrorNotACascade()
    {
        string[] errors = Errors("""
            receivers:
              - name: ops-mail
                email:
                  smtp: { <<: mail.example.com, host: h }
                  from: monitor@example.com
                  to: [ops@example.com]
            """);
        var error = Assert.Single(errors);
        Assert.Contains("receivers[0].email.smtp.<<: a merge key takes a mapping or a list of mappings", error, StringComparison.Ordinal);
    }

    [Fact]
    public void QuotedMergeKey_IsAnOrdinaryKey()
    {
        string[] errors = Errors("""
            x-smtp: &smtp { host: mail.example.com }
            receivers:
              - name: ops-mail
                email:
                  smtp: { "<<": *smtp, host: h }
                  from: monitor@example.com
                  to: [ops@example.com]
            """);
        Assert.Contains(errors, e => e.Contains("unknown key \"<<\"", StringComparison.Ordinal));
    }
}
