#!/usr/bin/python3
"""A local SMTP sink for the e-mail tests (Debian python3-aiosmtpd):
smtp_sink.py DIR PORT [USER PASSWORD]

Listens on 127.0.0.1:PORT only.  Each accepted message is written to
DIR/msg-<n>.eml, preceded by "X-Sink-From:" and "X-Sink-To:" lines with the
envelope.  While DIR/refuse exists every recipient is refused with 451
(temporary); a recipient starting with "bounce" is refused with 550
(permanent).  With USER and PASSWORD, AUTH is required (PLAIN/LOGIN, allowed
without TLS on loopback).  Runs until DIR/stop exists or it is killed."""
import os
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

d, port = sys.argv[1], int(sys.argv[2])
user = sys.argv[3].encode() if len(sys.argv) > 4 else None
password = sys.argv[4].encode() if len(sys.argv) > 4 else None


class Sink:
    n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if os.path.exists(os.path.join(d, 'refuse')):
            return '451 4.3.0 try again later'
        if address.startswith('bounce'):
            return '550 5.1.1 no such mailbox'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        Sink.n += 1
        tmp = os.path.join(d, '.msg-%d' % Sink.n)
        with open(tmp, 'wb') as f:
            f.write(b'X-Sink-From: ' + envelope.mail_from.encode() + b'\r\n')
            f.write(b'X-Sink-To: ' + ','.join(envelope.rcpt_tos).encode() + b'\r\n')
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(d, 'msg-%d.eml' % Sink.n))
        return '250 OK queued'


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
    return AuthResult(success=ok)


kw = {}
if user is not None:
    kw = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
c = Controller(Sink(), hostname='127.0.0.1', port=port, **kw)
c.start()
open(os.path.join(d, 'ready'), 'w').close()
try:
    while not os.path.exists(os.path.join(d, 'stop')):
        time.sleep(0.1)
finally:
    c.stop()
