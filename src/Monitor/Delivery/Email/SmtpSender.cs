using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Monitor.Configuration;

namespace Monitor.Delivery.Email;

/// <summary>
/// The narrow SMTP client email delivery needs (RFC 5321 with RFC 3207 STARTTLS, RFC 8314 implicit TLS and
/// RFC 4954 AUTH PLAIN/LOGIN): one connection per message. 4xx replies and network errors are retried, 5xx
/// replies are not; every failure names the command and the server's reply.
/// </summary>
internal static class SmtpSender
{
    public static async Task<DeliveryResult> SendAsync(SmtpOptions smtp, string from, IReadOnlyList<string> to, byte[] message, CancellationToken cancellationToken)
    {
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(smtp.Host, smtp.Port, cancellationToken);
            Stream stream = tcp.GetStream();
            if (smtp.Tls)
            {
                stream = await UpgradeAsync(stream, smtp, cancellationToken);
            }

            var session = new Session(stream);
            await session.ExpectAsync(null, 220, cancellationToken);
            var capabilities = await session.ExpectAsync("EHLO monitor", 250, cancellationToken);
            if (smtp.StartTls && !smtp.Tls)
            {
                if (!Offers(capabilities, "STARTTLS"))
                {
                    return new DeliveryResult(DeliveryOutcome.Rejected, $"{smtp.Host}:{smtp.Port} does not offer STARTTLS, which this receiver requires");
                }

                await session.ExpectAsync("STARTTLS", 220, cancellationToken);
                session = new Session(await UpgradeAsync(stream, smtp, cancellationToken));
                capabilities = await session.ExpectAsync("EHLO monitor", 250, cancellationToken);
            }

            if (smtp.Username is { } user)
            {
                string password = smtp.Password?.Reveal() ?? "";
                if (Offers(capabilities, "AUTH", "PLAIN") || !Offers(capabilities, "AUTH", "LOGIN"))
                {
                    string plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
                    await session.ExpectAsync("AUTH PLAIN " + plain, 235, cancellationToken, "AUTH PLAIN");
                }
                else
                {
                    await session.ExpectAsync("AUTH LOGIN", 334, cancellationToken);
                    await session.ExpectAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(user)), 334, cancellationToken, "AUTH LOGIN user");
                    await session.ExpectAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), 235, cancellationToken, "AUTH LOGIN password");
                }
            }

            await session.ExpectAsync($"MAIL FROM:<{Clean(from)}>", 250, cancellationToken);
            foreach (string recipient in to)
            {
                await session.ExpectAsync($"RCPT TO:<{Clean(recipient)}>", 250, cancellationToken, allowed: 251);
            }

            await session.ExpectAsync("DATA", 354, cancellationToken);
            var (code, reply) = await session.SendDataAsync(message, cancellationToken);
            if (code != 250)
            {
                return Fail("DATA", code, reply);
            }

            try
            {
                await session.CommandAsync("QUIT", cancellationToken);
            }
            catch (IOException)
            {
                // the message is accepted; a server that drops the connection on QUIT changes nothing
            }

            return new DeliveryResult(DeliveryOutcome.Delivered, $"{code} {reply}");
        }
        catch (SmtpReplyException e)
        {
            return Fail(e.Command, e.Code, e.Reply);
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException)
        {
            return new DeliveryResult(DeliveryOutcome.Retry, $"{smtp.Host}:{smtp.Port}: {e.Message}");
        }
    }

    private static DeliveryResult Fail(string command, int code, string reply) =>
        new(code is >= 400 and < 500 ? DeliveryOutcome.Retry : DeliveryOutcome.Rejected, $"{command}: {code} {reply}");

    private static bool Offers(IReadOnlyList<string> capabilities, string keyword, string? argument = null) =>
        capabilities.Any(line =>
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return words.Length > 0 && words[0].Equals(keyword, StringComparison.OrdinalIgnoreCase)
                && (argument is null || words.Skip(1).Any(w => w.Equals(argument, StringComparison.OrdinalIgnoreCase)));
        });

    private static string Clean(string address) => address.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Replace(">", "", StringComparison.Ordinal).Trim();

    private static async Task<Stream> UpgradeAsync(Stream stream, SmtpOptions smtp, CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = smtp.Host,
                RemoteCertificateValidationCallback = (_, _, _, errors) => smtp.InsecureSkipVerify || errors == SslPolicyErrors.None,
            },
            cancellationToken);
        return tls;
    }

    private sealed class SmtpReplyException(string command, int code, string reply) : Exception($"{command}: {code} {reply}")
    {
        public string Command { get; } = command;

        public int Code { get; } = code;

        public string Reply { get; } = reply;
    }

    /// <summary>Commands and replies over one stream; replies are read byte by byte so nothing is buffered across STARTTLS.</summary>
    private sealed class Session(Stream stream)
    {
        public async Task<List<string>> ExpectAsync(string? command, int expected, CancellationToken cancellationToken, string? shownAs = null, int allowed = 0)
        {
            var (code, lines) = command is null ? await ReadReplyAsync(cancellationToken) : await CommandAsync(command, cancellationToken);
            if (code != expected && code != allowed)
            {
                throw new SmtpReplyException(shownAs ?? command ?? "greeting", code, string.Join(" ", lines));
            }

            return lines;
        }

        public async Task<(int Code, List<string> Lines)> CommandAsync(string command, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            return await ReadReplyAsync(cancellationToken);
        }

        /// <summary>Sends the message with dot-stuffing and the terminating line.</summary>
        public async Task<(int Code, string Reply)> SendDataAsync(byte[] message, CancellationToken cancellationToken)
        {
            var data = new MemoryStream(message.Length + 64);
            bool lineStart = true;
            foreach (byte b in message)
            {
                if (lineStart && b == (byte)'.')
                {
                    data.WriteByte((byte)'.');
                }

                data.WriteByte(b);
                lineStart = b == (byte)'\n';
            }

            if (!lineStart)
            {
                data.Write("\r\n"u8);
            }

            data.Write(".\r\n"u8);
            await stream.WriteAsync(data.ToArray(), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            var (code, lines) = await ReadReplyAsync(cancellationToken);
            return (code, string.Join(" ", lines));
        }

        private async Task<(int Code, List<string> Lines)> ReadReplyAsync(CancellationToken cancellationToken)
        {
            var lines = new List<string>();
            var one = new byte[1];
            while (true)
            {
                var line = new List<byte>();
                while (true)
                {
                    if (await stream.ReadAsync(one, cancellationToken) == 0)
                    {
                        throw new IOException("the SMTP server closed the connection");
                    }

                    if (one[0] == '\n')
                    {
                        break;
                    }

                    if (one[0] != '\r')
                    {
                        line.Add(one[0]);
                    }

                    if (line.Count > 4096)
                    {
                        throw new IOException("SMTP reply line too long");
                    }
                }

                string text = Encoding.UTF8.GetString([.. line]);
                if (text.Length < 3 || !int.TryParse(text.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int code))
                {
                    throw new IOException($"malformed SMTP reply: {text}");
                }

                lines.Add(text.Length > 4 ? text[4..] : "");
                if (text.Length == 3 || text[3] == ' ')
                {
                    return (code, lines);
                }
            }
        }
    }
}
