using System.Net.Sockets;
using System.Security.Authentication;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Monitor.Delivery.Email;

/// <summary>
/// Sends through MailKit's SMTP client: STARTTLS, implicit TLS or none; AUTH with the best mechanism the server
/// offers, or XOAUTH2 with a token; SMTPUTF8 and international domains as the server allows; EHLO with the
/// machine's fully qualified name (or the configured one). Connections are kept for a burst and reused (at most
/// <see cref="EmailNotifier.Concurrency"/> at once); one that the server closed is opened again once. A refused
/// recipient is reported and the others still get the mail. 4xx replies and network errors are retried, 5xx
/// replies are not; every failure names the command and the server's answer.
/// </summary>
internal sealed class SmtpSender(SmtpOptions smtp, TimeProvider time) : IDisposable
{
    /// <summary>A connection idle longer than this is closed rather than reused (servers drop idle ones at ~60 s–5 min).</summary>
    private static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly Stack<(Client Client, long IdleSince)> _idle = new();

    public async Task<DeliveryResult> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var client = Take();
        bool reused = client.IsConnected;
        try
        {
            return await SendOnAsync(client, message, cancellationToken);
        }
        catch (Exception e) when (reused && e is ServiceNotConnectedException or IOException or SmtpProtocolException)
        {
            // The server closed the kept connection: open a new one, once.
            client.Dispose();
            client = NewClient();
            return await SendOnAsync(client, message, cancellationToken);
        }
        finally
        {
            Return(client);
        }
    }

    private async Task<DeliveryResult> SendOnAsync(Client client, MimeMessage message, CancellationToken cancellationToken)
    {
        string stage = "connect";
        try
        {
            if (!client.IsConnected)
            {
                var security = smtp.Tls ? SecureSocketOptions.SslOnConnect : smtp.StartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None;
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(smtp.Host, smtp.Port, cancellationToken);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                // EHLO names this machine by its FQDN, or else by the address literal of this connection (RFC 5321
                // 4.1.4), which servers that require a qualified name accept; a bare host name they refuse.
                client.LocalDomain = smtp.Helo ?? SmtpOptions.MachineName() ?? AddressLiteral(((System.Net.IPEndPoint)socket.LocalEndPoint!).Address);
                await client.ConnectAsync(socket, smtp.Host, smtp.Port, security, cancellationToken);
                if (smtp.Username is { } user)
                {
                    stage = "AUTH";
                    if (smtp.OAuth2Token() is { } token)
                    {
                        await client.AuthenticateAsync(new SaslMechanismOAuth2(user, token), cancellationToken);
                    }
                    else
                    {
                        await client.AuthenticateAsync(user, smtp.Password?.Reveal() ?? string.Empty, cancellationToken);
                    }
                }
            }

            stage = "send";
            client.Refused.Clear();
            client.RefusedCodes.Clear();
            string reply = await client.SendAsync(message, cancellationToken);
            string refused = client.Refused.Count == 0 ? string.Empty : "; refused: " + string.Join(", ", client.Refused);
            return new DeliveryResult(DeliveryOutcome.Delivered, $"{reply.Trim()}{refused}");
        }
        catch (SmtpCommandException e)
        {
            client.Dispose();
            string refused = client.Refused.Count > 0 ? $" (refused: {string.Join(", ", client.Refused)})" : string.Empty;
            if (client.Refused.Count > 0 && e.ErrorCode is SmtpErrorCode.MessageNotAccepted or SmtpErrorCode.RecipientNotAccepted)
            {
                // Every recipient was refused: a temporary refusal of them all (greylisting, a full mailbox) is retried.
                bool temporary = client.RefusedCodes.All(c => c is >= 400 and < 500);
                return new DeliveryResult(temporary ? DeliveryOutcome.Retry : DeliveryOutcome.Rejected, $"RCPT TO: every recipient refused{refused}");
            }

            string command = e.ErrorCode switch
            {
                SmtpErrorCode.SenderNotAccepted => "MAIL FROM",
                SmtpErrorCode.RecipientNotAccepted => "RCPT TO",
                SmtpErrorCode.MessageNotAccepted => "DATA",
                _ => stage,
            };
            int code = (int)e.StatusCode;
            return new DeliveryResult(code is >= 400 and < 500 ? DeliveryOutcome.Retry : DeliveryOutcome.Rejected, $"{command}: {code} {e.Message}{refused}");
        }
        catch (MailKit.Security.AuthenticationException e)
        {
            client.Dispose();
            return new DeliveryResult(DeliveryOutcome.Rejected, $"AUTH: {e.Message}");
        }
        catch (NotSupportedException e) when (stage == "AUTH")
        {
            client.Dispose();
            return new DeliveryResult(DeliveryOutcome.Rejected, $"AUTH: {e.Message}");
        }
        catch (Exception e) when (e is SslHandshakeException or System.Security.Authentication.AuthenticationException)
        {
            client.Dispose();
            return new DeliveryResult(DeliveryOutcome.Retry, $"{smtp.Host}:{smtp.Port}: TLS: {e.Message}");
        }
        catch (Exception e) when (e is SmtpProtocolException or IOException or SocketException or ServiceNotConnectedException)
        {
            client.Dispose();
            if (client.WasReused)
            {
                throw;
            }

            return new DeliveryResult(DeliveryOutcome.Retry, $"{smtp.Host}:{smtp.Port}: {stage}: {e.Message}");
        }
    }

    private Client Take()
    {
        lock (_lock)
        {
            long now = time.GetTimestamp();
            while (_idle.TryPop(out var entry))
            {
                if (entry.Client.IsConnected && time.GetElapsedTime(entry.IdleSince, now) < IdleLimit)
                {
                    entry.Client.WasReused = true;
                    return entry.Client;
                }

                entry.Client.Dispose();
            }
        }

        return NewClient();
    }

    private void Return(Client client)
    {
        if (!client.IsConnected)
        {
            client.Dispose();
            return;
        }

        lock (_lock)
        {
            _idle.Push((client, time.GetTimestamp()));
        }
    }

    private Client NewClient()
    {
        var client = new Client
        {
            Timeout = (int)TimeSpan.FromSeconds(60).TotalMilliseconds,
            CheckCertificateRevocation = false,
        };
        if (smtp.InsecureSkipVerify)
        {
            // insecure_skip_verify: the operator's explicit choice for a relay with a self-signed certificate.
            client.ServerCertificateValidationCallback = (_, _, _, errors) => smtp.InsecureSkipVerify || errors == System.Net.Security.SslPolicyErrors.None;
        }

        return client;
    }

    private static string AddressLiteral(System.Net.IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{address}]" : $"[{address}]";
    }

    public void Dispose()
    {
        lock (_lock)
        {
            while (_idle.TryPop(out var entry))
            {
                entry.Client.Dispose();
            }
        }
    }

    /// <summary>MailKit's client, recording refused recipients instead of failing the whole message for one.</summary>
    private sealed class Client : SmtpClient
    {
        public List<string> Refused { get; } = [];

        public List<int> RefusedCodes { get; } = [];

        public bool WasReused { get; set; }

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
        {
            Refused.Add($"{mailbox.Address} ({(int)response.StatusCode} {response.Response.Trim()})");
            RefusedCodes.Add((int)response.StatusCode);
        }
    }
}
