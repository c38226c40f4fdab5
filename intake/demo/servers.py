"""The embedded mail servers of ``intake demo``: an in-memory IMAP mailbox and an SMTP sink.

Both listen on a free loopback port, each on its own asyncio loop in a background thread,
so the demo needs no setup. Neither is meant for real mail.
"""

from __future__ import annotations

import asyncio
import re
import threading
from argparse import Namespace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import DictBackend
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pymap.parsing.message import AppendMessage
from pysasl.creds.plain import PlainCredentials
from pysasl.hashing import BuiltinHash

LOOPBACK = "127.0.0.1"
_BARE_LF = re.compile(rb"(?<!\r)\n")


class EmbeddedImap:
    """pymap's in-memory ("dict") backend serving one user whose INBOX holds the demo mail.

    The ``.eml`` files of ``mail_dir`` (but those named in ``later``) are appended to INBOX
    in name order, unseen, before the port opens; :meth:`append` adds more while it runs.
    Plain-text LOGIN is allowed: the server only listens on loopback.
    """

    def __init__(
        self,
        mail_dir: Path | None = None,
        username: str = "support",
        password: str = "demo",
        host: str = LOOPBACK,
        later: frozenset[str] = frozenset(),
    ) -> None:
        self.mail_dir = mail_dir
        self.later = later
        self.username = username
        self.password = password
        self.host = host
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._backend: DictBackend | None = None

    def start(self, timeout: float = 10.0) -> Self:
        """Load the mail, open the port and return once clients can connect."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pymap", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    async def _serve(self) -> None:
        # pymap builds its config from command-line arguments; these are its defaults,
        # except TLS off and no demo data (the dict backend's own sample mailbox).
        args = Namespace(
            host=self.host, port=0, debug=False, cert=None, key=None, tls=False,
            passlib_cfg=None, proxy_protocol=None, demo_data=False,
            demo_user=self.username, demo_password=self.password,
        )  # fmt: skip
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pymap-cpu")
        backend, config = await DictBackend.init(
            args,
            cpu_subsystem=Subsystem.for_threading(self._executor),
            # The default 500,000 PBKDF2 rounds cost ~0.3 s per login; this password is public.
            hash_context=BuiltinHash(rounds=1000),
            reject_dnsbl=False,
        )
        config.apply_context()  # the connection tasks inherit this context
        self._backend = backend
        await self._load_inbox(backend)
        server = IMAPServer(backend.login, config)
        callback = ProxyProtocolReader(config.proxy_protocol).get_callback(server)
        self._server = await asyncio.start_server(callback, host=self.host, port=0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _load_inbox(self, backend: DictBackend) -> None:
        if self.mail_dir is None:
            return
        paths = sorted(p for p in self.mail_dir.glob("*.eml") if p.name not in self.later)
        await self._append(backend, [path.read_bytes() for path in paths])

    async def _append(self, backend: DictBackend, raws: list[bytes]) -> None:
        messages = [AppendMessage(_BARE_LF.sub(b"\r\n", raw)) for raw in raws]
        identity = await backend.login.authenticate(PlainCredentials(self.username, self.password))
        async with identity.new_session() as session:
            await session.append_messages("INBOX", messages)

    def append(self, raws: list[bytes], timeout: float = 10.0) -> None:
        """Deliver more messages to INBOX, unseen, as mail arriving while intake runs."""
        assert self._loop is not None and self._backend is not None, "not started"
        asyncio.run_coroutine_threadsafe(self._append(self._backend, raws), self._loop).result(
            timeout
        )

    def stop(self) -> None:
        """Close the port and every open connection, then end the loop's thread."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shut_down(), loop).result(10.0)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10.0)
        loop.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _shut_down(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SentMessage(NamedTuple):
    """One message the SMTP sink accepted, exactly as it arrived."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


class _PortZeroController(Controller):
    """A Controller that binds a free port and reports it (the stock one cannot)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()


class EmbeddedSmtp:
    """An SMTP server that accepts every message and keeps it in memory."""

    def __init__(self, host: str = LOOPBACK, **smtp_options: Any) -> None:
        self.host = host
        self.port = 0
        # As today's mail servers do: addresses such as josé@acme.example (RFC 6531).
        smtp_options.setdefault("enable_SMTPUTF8", True)
        self._smtp_options = smtp_options
        self._controller: Controller | None = None
        self._messages: list[SentMessage] = []
        self._arrived = threading.Condition()

    @property
    def messages(self) -> list[SentMessage]:
        """A copy of what has arrived so far, oldest first."""
        with self._arrived:
            return list(self._messages)

    def start(self) -> Self:
        """Open the port; return once it answers."""
        self._controller = _PortZeroController(
            self, hostname=self.host, port=0, server_hostname="localhost", **self._smtp_options
        )
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        """Close the port and end the server's thread."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """aiosmtpd's hook for a complete message: keep it, answer 250."""
        message = SentMessage(
            str(envelope.mail_from), list(envelope.rcpt_tos), envelope.original_content or b""
        )
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()
        return "250 2.0.0 OK: queued"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
