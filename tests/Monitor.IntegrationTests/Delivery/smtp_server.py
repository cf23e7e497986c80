"""A real SMTP server for the email tests (python3-aiosmtpd): STARTTLS or implicit TLS, AUTH required.

Usage: smtp_server.py starttls|implicit|relay PORT CERT KEY OUTDIR USER PASSWORD [strict]
Each accepted message is written to OUTDIR/N.eml with the envelope in OUTDIR/N.json; every connection's
EHLO name is appended to OUTDIR/ehlo.log.
With "strict", the server behaves as a Postfix with reject_non_fqdn_helo_hostname and one unknown mailbox:
an EHLO name that is neither a dotted name nor an address literal gets 504; RCPT TO:<nobody@...> gets 550;
SMTPUTF8 is offered; and besides PLAIN/LOGIN, XOAUTH2 is accepted when its SASL string is
"user=USER\\x01auth=Bearer PASSWORD\\x01\\x01" (PASSWORD then being the access token).
"relay" is the next hop of the Postfix tests: plain SMTP from loopback, no AUTH, SMTPUTF8 offered, every
recipient accepted; it captures what Postfix passed on.
"""
import base64
import json
import os
import re
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, SMTP

mode, port, cert, key, outdir, user, password = sys.argv[1:8]
strict = len(sys.argv) > 8 and sys.argv[8] == "strict"


class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with open(os.path.join(outdir, "ehlo.log"), "a") as f:
            f.write(hostname + "\n")
        if not fqdn_or_literal(hostname):
            return ["504 5.5.2 <%s>: Helo command rejected: need fully-qualified hostname" % hostname]
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        with open(os.path.join(outdir, "ehlo.log"), "a") as f:
            f.write(hostname + "\n")
        if not fqdn_or_literal(hostname):
            return "504 5.5.2 <%s>: Helo command rejected: need fully-qualified hostname" % hostname
        session.host_name = hostname
        return "250 %s" % server.hostname

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if strict and address.startswith("nobody@"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(outdir) if f.endswith(".eml")])
        base = os.path.join(outdir, str(n))
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": server.transport.get_extra_info("ssl_object") is not None,
                       "auth": (session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else session.auth_data),
                       "peer": "%s:%d" % session.peer[:2], "smtputf8": "SMTPUTF8" in envelope.mail_options}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 queued as %d" % n

    async def auth_XOAUTH2(self, server, args):
        if len(args) < 2:
            return AuthResult(success=False, handled=False)
        sasl = base64.b64decode(args[1]).decode()
        ok = sasl == "user=%s\x01auth=Bearer %s\x01\x01" % (user, password)
        return AuthResult(success=ok, handled=False, auth_data=(user if ok else None))


def fqdn_or_literal(hostname):
    return not strict or bool(re.fullmatch(r"\[(IPv6:)?[0-9a-fA-F:.]+\]", hostname)) or "." in hostname.strip(".")


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
common = dict(hostname="127.0.0.1", port=int(port), authenticator=authenticate, auth_required=True, enable_SMTPUTF8=strict)
if mode == "relay":
    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), auth_require_tls=False, enable_SMTPUTF8=True)
elif mode == "starttls":
    controller = Controller(Handler(), tls_context=context, require_starttls=True, **common)
else:
    controller = Controller(Handler(), ssl_context=context, auth_require_tls=False, **common)
controller.start()
print("ready", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
controller.stop()
