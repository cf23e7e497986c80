"""A real SMTP server for the email tests (python3-aiosmtpd): STARTTLS or implicit TLS, AUTH required.

Usage: smtp_server.py starttls|implicit PORT CERT KEY OUTDIR USER PASSWORD
Each accepted message is written to OUTDIR/N.eml with the envelope in OUTDIR/N.json.
"""
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, cert, key, outdir, user, password = sys.argv[1:8]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(outdir) if f.endswith(".eml")])
        base = os.path.join(outdir, str(n))
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": server.transport.get_extra_info("ssl_object") is not None,
                       "auth": (session.auth_data.login.decode() if session.auth_data else None)}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 queued as %d" % n


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
common = dict(hostname="127.0.0.1", port=int(port), authenticator=authenticate, auth_required=True)
if mode == "starttls":
    controller = Controller(Handler(), tls_context=context, require_starttls=True, **common)
else:
    controller = Controller(Handler(), ssl_context=context, auth_require_tls=False, **common)
controller.start()
print("ready", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
controller.stop()
