using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.TestSupport;

/// <summary>
/// A private instance of Debian's Postfix in a temporary directory (its own main.cf, master.cf, queue, data
/// directory and log file), its smtpd on a free loopback port, configured as a strict relay: EHLO required,
/// <c>reject_non_fqdn_helo_hostname</c>, SMTPUTF8, STARTTLS offered (self-signed), one recipient
/// (<see cref="RefusedRecipient"/>) refused with 554, everything else from loopback relayed to an aiosmtpd
/// capture (smtp_server.py relay) whose files show what Postfix passed on. The system's Postfix is not used
/// and need not run. Postfix's master runs as root and drops to the <c>postfix</c> user, so this needs root.
/// </summary>
internal sealed class PostfixServer : IAsyncDisposable
{
    public const string RefusedRecipient = "refused@example.org";
    public const string Hostname = "postfix.monitor.test";

    private const string Python = "/usr/bin/python3";

    private readonly string _postfix;
    private readonly string _config;
    private readonly ExternalProcess _relay;
    private int _logMark;

    private PostfixServer(string postfix, string dir, int port, ExternalProcess relay)
    {
        _postfix = postfix;
        Root = dir;
        _config = Path.Combine(dir, "conf");
        Port = port;
        _relay = relay;
    }

    /// <summary>The temporary directory holding the instance.</summary>
    public string Root { get; }

    /// <summary>The smtpd port on 127.0.0.1.</summary>
    public int Port { get; }

    public string LogFile => Path.Combine(Root, "maillog");

    /// <summary>Where the relay capture writes N.eml and N.json.</summary>
    public string MailDirectory => Path.Combine(Root, "mail");

    /// <summary>Postfix's log since the instance was ready (the readiness probe's session left out).</summary>
    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile)[_logMark..] : string.Empty;

    /// <summary>The smtpd lines of the log since ready, as <c>smtpd: message</c>.</summary>
    public IReadOnlyList<string> SmtpdLog =>
        [.. Log.Split('\n').Where(l => l.Contains(" postfix/smtpd[", StringComparison.Ordinal)).Select(l => l[(l.IndexOf("]: ", StringComparison.Ordinal) + 3)..])];

    /// <summary>What the relay capture received from Postfix, in order of arrival.</summary>
    public IReadOnlyList<(string Message, JsonElement Envelope)> Relayed =>
        [.. Directory.GetFiles(MailDirectory, "*.eml").OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f), CultureInfo.InvariantCulture))
            .Select(f => (File.ReadAllText(f), JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(f, ".json"))).RootElement))];

    public static async Task<PostfixServer> StartAsync()
    {
        string postfix = Tools.Require("postfix", "postfix");
        Tools.Require(Python, "python3");
        Assert.True(
            Environment.IsPrivilegedProcess,
            "the Postfix tests start a private Postfix, whose master must run as root (it drops to the postfix user); run them as root, as CI does");
        var (code, output) = await ExternalProcess.RunAsync(Python, ["-c", "import aiosmtpd"]);
        Assert.True(code == 0, "python3-aiosmtpd is missing: apt-get install python3-aiosmtpd (./test.sh does it)" + output);

        string dir = Tools.TempDirectory();
        string conf = Path.Combine(dir, "conf");
        Directory.CreateDirectory(conf);
        Directory.CreateDirectory(Path.Combine(dir, "mail"));
        Directory.CreateDirectory(Path.Combine(dir, "queue"));
        using (var cert = TargetServer.SelfSigned(TimeSpan.FromDays(30)))
        {
            await File.WriteAllTextAsync(Path.Combine(conf, "cert.pem"), cert.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(conf, "key.pem"), cert.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        }

        int relayPort = FreePort.Get();
        string script = Path.Combine(AppContext.BaseDirectory, "Delivery", "smtp_server.py");
        var relay = new ExternalProcess(Python, [script, "relay", relayPort.ToString(CultureInfo.InvariantCulture), Path.Combine(conf, "cert.pem"), Path.Combine(conf, "key.pem"), Path.Combine(dir, "mail"), "-", "-"]);
        await Eventually.HoldsAsync(() => Task.FromResult(relay.Output.Contains("ready", StringComparison.Ordinal) || relay.HasExited), TimeSpan.FromSeconds(20), () => relay.Output);
        Assert.False(relay.HasExited, relay.Output);

        int port = FreePort.Get();
        await File.WriteAllTextAsync(Path.Combine(conf, "main.cf"), MainCf(dir, relayPort));
        await File.WriteAllTextAsync(Path.Combine(conf, "master.cf"), MasterCf(port));
        var server = new PostfixServer(postfix, dir, port, relay);
        try
        {
            // "check" creates the queue and data directories with Postfix's owners and modes.
            (code, output) = await ExternalProcess.RunAsync(postfix, ["-c", conf, "check"]);
            Assert.True(code == 0, $"postfix check: {output}\n{server.Log}");
            (code, output) = await ExternalProcess.RunAsync(postfix, ["-c", conf, "start"]);
            Assert.True(code == 0, $"postfix start: {output}\n{server.Log}");
            await Eventually.HoldsAsync(() => server.ProbeAsync(), TimeSpan.FromSeconds(30), () => server.Log);
            // The probe's session ends in the log; what the test does is read after it.
            await Eventually.HoldsAsync(() => Task.FromResult(server.Log.Contains("disconnect from", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), () => server.Log);
            server._logMark = File.ReadAllText(server.LogFile).Length;
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static string MainCf(string dir, int relayPort) => $$"""
        compatibility_level = 3.6
        queue_directory = {{dir}}/queue
        data_directory = {{dir}}/data
        mail_owner = postfix
        setgid_group = postdrop
        maillog_file = {{dir}}/maillog
        maillog_file_prefixes = {{dir}}
        myhostname = {{Hostname}}
        mydomain = monitor.test
        myorigin = $myhostname
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        mynetworks = 127.0.0.0/8
        # Nothing is delivered here: every domain is relayed to the capture.
        mydestination =
        local_transport = error:local delivery is disabled
        alias_maps =
        alias_database =
        relayhost = [127.0.0.1]:{{relayPort}}
        default_transport = smtp
        smtp_tls_security_level = none
        smtputf8_enable = yes
        smtpd_helo_required = yes
        smtpd_helo_restrictions = reject_non_fqdn_helo_hostname
        smtpd_relay_restrictions = permit_mynetworks, reject
        smtpd_recipient_restrictions = check_recipient_access inline:{ {{RefusedRecipient}}=REJECT }, permit_mynetworks, reject
        smtpd_tls_security_level = may
        smtpd_tls_cert_file = {{dir}}/conf/cert.pem
        smtpd_tls_key_file = {{dir}}/conf/key.pem
        smtpd_tls_loglevel = 1
        biff = no
        """;

    private static string MasterCf(int port) => $"""
        127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} inet n - n - - smtpd
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        tlsmgr    unix  -       -       n       1000?   1       tlsmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd
        """;

    /// <summary>Ready when smtpd greets with 220.</summary>
    private async Task<bool> ProbeAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync("127.0.0.1", Port, cts.Token);
            var stream = client.GetStream();
            var buffer = new byte[512];
            int n = await stream.ReadAsync(buffer, cts.Token);
            bool ready = Encoding.ASCII.GetString(buffer, 0, n).StartsWith("220 ", StringComparison.Ordinal);
            await stream.WriteAsync("QUIT\r\n"u8.ToArray(), cts.Token);
            _ = await stream.ReadAsync(buffer, cts.Token);
            return ready;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits until the capture holds at least <paramref name="count"/> messages Postfix relayed.</summary>
    public Task WaitRelayedAsync(int count) =>
        Eventually.HoldsAsync(() => Task.FromResult(Directory.GetFiles(MailDirectory, "*.eml").Length >= count), TimeSpan.FromSeconds(60), () => $"{Directory.GetFiles(MailDirectory, "*.eml").Length} of {count} relayed\n{Log}\n{_relay.Output}");

    /// <summary>Waits until a line of the log (since ready) contains <paramref name="text"/>, and returns it.</summary>
    public async Task<string> WaitLogAsync(string text)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(Log.Contains(text, StringComparison.Ordinal)), TimeSpan.FromSeconds(30), () => $"no \"{text}\" in\n{Log}");
        return Log.Split('\n').First(l => l.Contains(text, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await ExternalProcess.RunAsync(_postfix, ["-c", _config, "stop"]);
        _relay.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
