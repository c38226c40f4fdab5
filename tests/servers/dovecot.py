"""A throwaway Dovecot IMAP server for integration tests, with its own config in a temp dir.

Dovecot runs as root; its auth and imap processes do not, so the temp dir is mode 755
and the mail store belongs to the ``mail`` user.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

from tests.servers.tls import Certificates

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth2_mechanisms}
first_valid_uid = 8
mail_fsync = never
mail_location = maildir:{root}/home/%u/Maildir
{oauth2_passdb}passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}{imaps}
}}
"""
_TLS = """ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2"""
# Logins with an OAuth2 access token (SASL XOAUTH2 / OAUTHBEARER), each token checked by
# POSTing it to the introspection endpoint. A failed login is answered at once, and the next
# login from 127.0.0.1 is not held back (anvil's auth penalty, 2 s and more, whose socket
# the auth process cannot open here): both only slow the tests.
_OAUTH2_PASSDB = """auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf
}}
"""
_OAUTH2_ARGS = """introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""
_IMAPS = """
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}"""


class DovecotError(RuntimeError):
    """Raised when the test Dovecot cannot start; carries the tail of its log."""


class Dovecot:
    """One Dovecot instance with one user, listening on its own loopback port."""

    folder = "INBOX"

    def __init__(
        self,
        user: str = "user",
        password: str = "secret",
        tls: Certificates | None = None,
        introspection_url: str | None = None,
        introspection_ca: Path | None = None,
    ) -> None:
        """With ``tls``, the imap port offers STARTTLS and ``ssl_port`` speaks TLS at once.
        With ``introspection_url``, the user logs in with an OAuth2 access token too
        (XOAUTH2, OAUTHBEARER) that this endpoint vouches for; the password still works
        for the test's own connections; ``introspection_ca`` is the authority of an https
        endpoint's certificate."""
        self.host, self.port, self.ssl_port = "127.0.0.1", 0, 0
        self.tls = tls
        self.introspection_url = introspection_url
        self.introspection_ca = introspection_ca
        self.user, self.password = user, password
        self.root = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
        self.config_file = self.root / "dovecot.conf"
        self._master: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> Dovecot:
        """Write the config, start Dovecot and wait until it greets on its port."""
        try:
            self._prepare_dirs()
            for attempt in range(3):  # another process may take the port before Dovecot does
                if self._launch(timeout):
                    return self
                if attempt == 2 or "in use" not in self.log_tail():
                    raise DovecotError(f"Dovecot did not start:\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise
        raise AssertionError("unreachable")

    def _launch(self, timeout: float, same_ports: bool = False) -> bool:
        if not same_ports:
            self.port = _free_port(self.host)
            self.ssl_port = _free_port(self.host) if self.tls is not None else 0
        ssl, imaps = "ssl = no", ""
        if self.tls is not None:
            ssl = _TLS.format(cert=self.tls.cert_file, key=self.tls.key_file)
            imaps = _IMAPS.format(port=self.ssl_port)
        oauth2_mechanisms = oauth2_passdb = ""
        if self.introspection_url is not None:
            oauth2_mechanisms = " xoauth2 oauthbearer"
            oauth2_passdb = _OAUTH2_PASSDB.format(root=self.root)
            args = _OAUTH2_ARGS.format(url=self.introspection_url)
            if self.introspection_ca is not None:
                # A copy in our own dir: the auth process cannot enter pytest's tmp dirs.
                ca = self.root / "introspection-ca.pem"
                ca.write_bytes(self.introspection_ca.read_bytes())
                ca.chmod(0o644)
                args += f"tls_ca_cert_file = {ca}\n"
            (self.root / "oauth2.conf").write_text(args)
        self.config_file.write_text(
            _CONFIG.format(
                root=self.root,
                port=self.port,
                ssl=ssl,
                imaps=imaps,
                oauth2_mechanisms=oauth2_mechanisms,
                oauth2_passdb=oauth2_passdb,
            )
        )
        with (self.root / "dovecot.out").open("ab") as out:
            command = [DOVECOT, "-F", "-c", str(self.config_file)]
            self._master = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._master.poll() is None:
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return True
            except OSError:
                time.sleep(0.01)
        master, self._master = self._master, None
        self._shut_down(master, remove_dir=False)
        return False

    def kick(self) -> None:
        """Cut every IMAP connection of the user, as a server restart or a network drop does."""
        subprocess.run(
            [DOVEADM, "-c", str(self.config_file), "kick", self.user],
            check=True,
            capture_output=True,
        )

    def restart(self, down_for: float, timeout: float = 10.0) -> None:
        """Stop Dovecot, keep it down for ``down_for`` seconds, start it on the same port."""
        master, self._master = self._master, None
        self._shut_down(master, remove_dir=False)
        time.sleep(down_for)
        if not self._launch(timeout, same_ports=True):
            raise DovecotError(f"Dovecot did not start again:\n{self.log_tail()}")

    def _prepare_dirs(self) -> None:
        self.root.chmod(0o755)
        for parent in self.root.parents:
            if not parent.stat().st_mode & 0o001:
                raise DovecotError(f"{parent} is not searchable by other users; set TMPDIR")
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.root / "passwd").chmod(0o644)
        (self.root / "home").mkdir(mode=0o755, exist_ok=True)
        shutil.chown(self.root / "home", "mail", "mail")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of Dovecot's log and console output, for error messages."""
        paths = [self.root / "dovecot.out", self.root / "dovecot.log"]
        text = "".join(p.read_text(errors="replace") for p in paths if p.exists())
        return "\n".join(text.splitlines()[-lines:]) or "(Dovecot wrote nothing)"

    def stop(self, wait: bool = True) -> None:
        """Stop Dovecot (SIGTERM, as ``doveadm stop`` sends; SIGKILL after 5 s), remove the dir.

        Dovecot takes a second or more to stop; ``wait=False`` lets a thread wait for it.
        """
        master, self._master = self._master, None
        if wait:
            self._shut_down(master)
        else:
            threading.Thread(target=self._shut_down, args=(master,), name="dovecot-stop").start()

    def _shut_down(self, master: subprocess.Popen[bytes] | None, remove_dir: bool = True) -> None:
        if master is not None and master.poll() is None:
            # SIGTERM is what `doveadm stop` sends the master; sending it here spares a
            # fork from this (often background) thread, which now and then failed.
            with contextlib.suppress(ProcessLookupError):
                master.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                master.wait(timeout=5.0)
            # Dovecot runs in a process group of its own: end whatever is left of it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(master.pid, signal.SIGKILL)
            master.wait()
        if remove_dir:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self) -> IMAPClient:
        """A new logged-in IMAP connection; the caller logs out."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: Iterable[str] = (),
        received_at: datetime | None = None,
    ) -> int:
        """Deliver one message; return its UID (Dovecot answers with APPENDUID).
        ``received_at``: its INTERNALDATE, when it should seem to have arrived earlier."""
        return self.append_many([raw], folder, flags, received_at)[0]

    def append_many(
        self,
        raws: Iterable[bytes],
        folder: str = "INBOX",
        flags: Iterable[str] = (),
        received_at: datetime | None = None,
    ) -> list[int]:
        """Deliver messages in order over one connection; return their UIDs."""
        flag_list = list(flags)
        with self.client() as client:
            return [
                _appended_uid(client.append(folder, raw, flag_list, msg_time=received_at))
                for raw in raws
            ]

    def uids(self, criteria: str | list[str] = "ALL", folder: str = "INBOX") -> list[int]:
        """UIDs in the folder matching an IMAP SEARCH criteria."""
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return sorted(int(uid) for uid in client.search(criteria))

    def flags(self, uid: int, folder: str = "INBOX") -> tuple[bytes, ...]:
        """The flags of one message, as imapclient gives them (e.g. ``b"\\\\Seen"``)."""
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return tuple(client.get_flags([uid]).get(uid, ()))

    def uidvalidity(self, folder: str = "INBOX") -> int:
        """The folder's current UIDVALIDITY."""
        with self.client() as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder(self, raws: Iterable[bytes] = (), folder: str = "INBOX") -> list[int]:
        """Delete and re-create a folder (new UIDVALIDITY, UIDs from 1), then append raws.

        IMAP cannot delete INBOX, so its Maildir files go, as in a server-side rebuild
        (Dovecot drops clients that had it selected); ``dovecot-uidvalidity`` stays, so
        the new UIDVALIDITY always differs.
        """
        if folder.upper() == "INBOX":
            maildir = self.root / "home" / self.user / "Maildir"
            for path in maildir.glob("*"):
                if path.name in ("cur", "new", "tmp"):
                    shutil.rmtree(path)
                elif path.name.startswith(("dovecot.", "dovecot-uidlist")):
                    path.unlink()
        else:
            with self.client() as client:
                client.delete_folder(folder)
                client.create_folder(folder)
        return self.append_many(raws, folder)


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _appended_uid(response: bytes) -> int:
    match = _APPENDUID.search(response)
    assert match is not None, f"no APPENDUID in {response!r}"
    return int(match.group(1))
