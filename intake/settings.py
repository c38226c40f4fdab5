"""Settings: loaded once from a TOML file plus ``INTAKE_*`` variables, typed and frozen.

``config/intake.example.toml`` documents every key. Nested keys are overridden with
``__`` (``INTAKE_IMAP__PASSWORD``). A wrong value becomes one ``ConfigError`` line
naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from redis.connection import parse_url
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from intake.errors import ConfigError
from intake.tomlfile import read_toml

REPO_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
# The labelled requests the classifier learns from (and is measured on: their holdout).
REPO_EXAMPLES_DIR = REPO_CONFIG_DIR.parent / "tests" / "data" / "labelled"

Security = Literal["ssl", "starttls", "none"]
Provider = Literal["microsoft", "google", "generic"]

# What a provider's access token must allow when [imap.oauth2] names no scopes: reading the
# mailbox and sending from it (and, for Microsoft, a refresh token: offline_access).
DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {
    "microsoft": (
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ),
    "google": ("https://mail.google.com/",),
    "generic": (),
}
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"

# (backend, driver) pairs intake is built and tested on; psycopg is its only PostgreSQL
# driver dependency ("postgresql://" means psycopg too).
DATABASE_DRIVERS = frozenset({("sqlite", "pysqlite"), ("postgresql", "psycopg")})


_WALL_CLOCK = re.compile(r"(\d\d):(\d\d)(?::(\d\d))?")


def _wall_clock(value: Any) -> time:
    """A time of day on the agency's clock: "08:00" or "08:00:30", or a TOML local time.

    The scheduler compares it with the local time in ``timezone``, so a time with an
    offset ("08:00Z") could never match, and a bare number is read as seconds past midnight.
    """
    if isinstance(value, time) and value.tzinfo is None:
        return value
    shown = value.isoformat() if isinstance(value, time) else repr(value)
    matched = _WALL_CLOCK.fullmatch(value) if isinstance(value, str) else None
    if matched is None:
        raise ValueError(
            f'{shown} is not a local time; write it as "08:00" (HH:MM, in the agency\'s'
            " timezone, no offset)"
        )
    hour, minute, second = (int(part or 0) for part in matched.groups())
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(f'{shown} is not a time of day; write it as "08:00" (HH:MM)') from None


# A local wall-clock time in the agency's ``timezone``.
WallClock = Annotated[time, BeforeValidator(_wall_clock)]


def _email_address(value: str) -> str:
    if "@" not in value:
        raise ValueError(f"not an email address: {value!r}")
    return value.strip().lower()


# An email address as intake compares them: trimmed and in lower case.
EmailAddress = Annotated[str, AfterValidator(_email_address)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NestedKeyError(ValueError):
    """A section's check that names one of its keys (``oauth2.client_id``), so the error
    names that key rather than the whole section."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key, self.reason = key, reason


def _loopback_or_https(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    # Tokens travel in the clear over http: only to a server on this machine.
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost")


class OAuth2Settings(_Section):
    """How a mailbox logs in with OAuth2 (SASL XOAUTH2): the provider, the app registered
    with it, and where the refresh token ``intake auth login`` obtains is kept."""

    provider: Provider = "microsoft"
    client_id: str = ""
    # Empty for a public client (Microsoft's "Allow public client flows"); Google's
    # desktop apps and most generic providers have one.
    client_secret: SecretStr = SecretStr("")
    # Microsoft: a certificate instead of a secret (a PEM file with the private key).
    certificate_file: Path | None = None
    # Microsoft: the directory (tenant) ID or domain, or "organizations".
    tenant: str = ""
    authority: str = MICROSOFT_AUTHORITY  # Microsoft: another cloud's login host
    token_url: str = ""  # generic (Google's is known)
    # Google and generic: the authorization endpoint of the browser sign-in (Google's is known).
    authorize_url: str = ""
    device_url: str = ""  # generic: the device authorization endpoint (RFC 8628), if any
    scopes: tuple[str, ...] = ()  # default: DEFAULT_SCOPES of the provider
    # Where the refresh token lives: a file only its owner may read (0600), or the
    # database, encrypted with token_key (set it in the environment, never in the file).
    token_store: Literal["file", "database"] = "file"
    token_file: Path | None = None
    token_key: SecretStr = SecretStr("")
    # An access token is renewed this many seconds before it expires, so a login never
    # carries one that runs out on the way.
    refresh_before: float = Field(300.0, ge=0, le=3000)
    timeout: float = Field(30.0, gt=0)

    @property
    def wanted_scopes(self) -> tuple[str, ...]:
        return self.scopes or DEFAULT_SCOPES[self.provider]

    @property
    def endpoint(self) -> str:
        """The token endpoint, or the Microsoft authority, for messages."""
        if self.provider == "microsoft":
            return f"{self.authority.rstrip('/')}/{self.tenant}"
        return self.token_endpoint

    @property
    def token_endpoint(self) -> str:
        """Google's, or ``token_url`` (which stands in for Google's when set)."""
        return self.token_url or (GOOGLE_TOKEN_URL if self.provider == "google" else "")

    @property
    def authorize_endpoint(self) -> str:
        """Where a browser sign-in starts: Google's, or ``authorize_url``; "" for none."""
        return self.authorize_url or (GOOGLE_AUTHORIZE_URL if self.provider == "google" else "")

    def problem(self, section: str) -> NestedKeyError | None:
        """The first thing missing or wrong for ``section`` ("imap"), or None."""
        required = f'required when {section}.auth = "oauth2"'
        if not self.client_id:
            return NestedKeyError("oauth2.client_id", required)
        if self.provider == "microsoft" and not self.tenant:
            return NestedKeyError(
                "oauth2.tenant",
                'required for provider "microsoft": the directory (tenant) ID or domain, '
                'or "organizations"',
            )
        if self.provider == "microsoft" and not _loopback_or_https(self.authority):
            return NestedKeyError("oauth2.authority", "must be an https:// URL")
        if self.authorize_url and self.provider == "microsoft":
            return NestedKeyError(
                "oauth2.authorize_url", 'not for provider "microsoft" (it signs in with a code)'
            )
        if self.certificate_file is not None and self.provider != "microsoft":
            return NestedKeyError("oauth2.certificate_file", 'only for provider "microsoft"')
        if self.certificate_file is not None and not self.certificate_file.is_file():
            return NestedKeyError(
                "oauth2.certificate_file", f"no such file: {self.certificate_file}"
            )
        if self.provider == "google" and not self.client_secret.get_secret_value():
            return NestedKeyError(
                "oauth2.client_secret", 'required for provider "google" (its desktop app\'s)'
            )
        if self.provider == "generic" and not self.token_url:
            return NestedKeyError("oauth2.token_url", 'required for provider "generic"')
        for key, url in (
            ("token_url", self.token_url),
            ("device_url", self.device_url),
            ("authorize_url", self.authorize_url),
        ):
            if url and not _loopback_or_https(url):
                return NestedKeyError(f"oauth2.{key}", "must be an https:// URL")
        return self._store_problem(section)

    def _store_problem(self, section: str) -> NestedKeyError | None:
        if self.token_store == "file" and self.token_file is None:
            return NestedKeyError(
                "oauth2.token_file",
                'required with token_store = "file": the file that keeps the refresh token '
                "(mode 0600)",
            )
        if self.token_store == "database":
            key = self.token_key.get_secret_value()
            variable = f"INTAKE_{section.upper()}__OAUTH2__TOKEN_KEY"
            if not key:
                return NestedKeyError(
                    "oauth2.token_key", f'required with token_store = "database"; set {variable}'
                )
            from cryptography.fernet import Fernet

            try:
                Fernet(key)
            except ValueError:
                return NestedKeyError(
                    "oauth2.token_key",
                    'not a key: 32 url-safe base64-encoded bytes, as `python -c "from '
                    'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"` '
                    "prints",
                )
        return None


class _Login(_Section):
    """A server section that logs in with a password or with OAuth2."""

    section: ClassVar[str]
    if TYPE_CHECKING:  # each section declares them, in its own order
        username: str
        auth: Literal["password", "oauth2"]
        oauth2: OAuth2Settings | None

    @model_validator(mode="after")
    def _oauth2_complete(self) -> _Login:
        if self.auth != "oauth2":
            return self
        if self.oauth2 is None:
            raise NestedKeyError(
                "oauth2.client_id", f'required when {self.section}.auth = "oauth2"'
            )
        if not self.username:
            raise NestedKeyError(
                "username", f'required when {self.section}.auth = "oauth2": the mailbox address'
            )
        problem = self.oauth2.problem(self.section)
        if problem is not None:
            raise problem
        return self


class ImapSettings(_Login):
    section: ClassVar[str] = "imap"
    host: str = "localhost"
    port: int = Field(993, ge=1, le=65535)
    security: Security = "ssl"
    username: str = "support"
    password: SecretStr = SecretStr("")
    auth: Literal["password", "oauth2"] = "password"
    oauth2: OAuth2Settings | None = None
    folder: str = "INBOX"
    batch_size: int = Field(500, ge=1, le=5000)
    # A batch also stops at this many megabytes, so a backlog of large attachments is
    # never held in memory all at once (a bigger message is read on its own).
    batch_megabytes: float = Field(64.0, gt=0)
    # A larger message is stored as it came and held for staff, never parsed: parsing
    # takes several times a message's size in memory.
    max_message_bytes: int = Field(50 * 1024 * 1024, gt=0)
    idle: bool = True
    poll_interval: float = Field(60.0, gt=0)
    idle_renew: float = Field(25 * 60.0, gt=0, le=29 * 60.0)
    timeout: float = Field(30.0, gt=0)
    reconnect_max: float = Field(300.0, gt=0)
    # A folder's first reading files the mail already there as history (no reply, no
    # clock), except unseen mail that arrived within this many seconds (0: none of it).
    answer_existing_within: float = Field(24 * 3600.0, ge=0, le=365 * 24 * 3600.0)

    @property
    def mailbox_name(self) -> str:
        """The cursor and lock key of this mailbox."""
        return f"{self.username}@{self.host}:{self.port}/{self.folder}"


class SmtpSettings(_Login):
    section: ClassVar[str] = "smtp"
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    security: Security = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    # With "oauth2" and no [smtp.oauth2], the account of [imap.oauth2] sends too.
    auth: Literal["password", "oauth2"] = "password"
    oauth2: OAuth2Settings | None = None
    timeout: float = Field(30.0, gt=0)


class StaffMember(_Section):
    email: EmailAddress
    name: str = ""
    lead: bool = False


class QueueSettings(_Section):
    worker_processes: int = Field(1, ge=1, le=64)
    worker_threads: int = Field(8, ge=1, le=256)
    batch_size: int = Field(50, ge=1, le=1000)
    idle_poll_ms: int = Field(100, ge=10, le=10000)


class SweeperSettings(_Section):
    interval: float = Field(60.0, gt=0)
    stale_after: float = Field(120.0, gt=0)
    max_attempts: int = Field(5, ge=1)


class SlaSettings(_Section):
    check_interval: float = Field(300.0, gt=0)
    # A request's clocks start when its mail reached the mailbox, if that was at most this
    # many seconds before it was filed (an outage of intake counts against the SLA); older
    # mail, as on a first run over a mailbox of old mail, starts them when it is filed.
    from_arrival_within: float = Field(3 * 24 * 3600.0, ge=0, le=365 * 24 * 3600.0)
    # When the daily digest of open requests goes to staff, in the agency's time zone.
    digest_at: WallClock = time(8, 0)


class BillingSettings(_Section):
    # Statements for the previous month go out on the 1st at this time, agency time zone.
    at: WallClock = time(6, 0)
    check_interval: float = Field(300.0, gt=0)
    # The invoice each statement is: its currency (ISO 4217), number (the prefix and the
    # next of one gap-free sequence), due date (days after issue), and who sends it.
    currency: str = "USD"
    invoice_prefix: str = Field("INV-", max_length=30)
    payment_terms_days: int = Field(14, ge=0, le=365)
    legal_name: str = ""  # default: agency_name
    address: str = ""  # lines separated by newlines
    tax_id: str = ""

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        from babel.numbers import list_currencies

        code = value.strip().upper()
        if code not in list_currencies():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code such as USD or EUR")
        return code


class ReplySettings(_Section):
    max_automatic_per_hour: int = Field(5, ge=1)
    daily_capacity_hours: Decimal = Field(Decimal("6"), gt=0)
    estimate_min_samples: int = Field(3, ge=1)


# Chosen from the classifier's calibration on its training examples (cross-validated,
# bench/classifier.py): quotes sent without review are right on type 95 % of the time.
REVIEW_BELOW = 0.7


class QuoteSettings(_Section):
    # Included hours a request from a contact who may not approve (one new at a client's
    # domain, say) may start on before an approving contact or staff agree.
    new_contact_free_hours: Decimal = Field(Decimal("0"), ge=0)
    # Which new requests staff see before the client gets a quote: "uncertain" (the
    # classifier's probability for the type or the severity is under review_below),
    # "always" or "never". The client is told at once that the request arrived.
    review: Literal["uncertain", "always", "never"] = "uncertain"
    review_below: float = Field(REVIEW_BELOW, ge=0, le=1)
    # Statements of work (for clients with statement_of_work = true): the prefix of their
    # numbers, then 00001, 00002, ... from one gap-free sequence.
    sow_prefix: str = Field("SOW-", max_length=30)


class AdviceSettings(_Section):
    # Each month, after the statements: staff get the plan advice (which plan would have
    # cost a client less for the work of the last `months` months); with send_to_client
    # the client gets it too, at most once a quarter.
    months: int = Field(3, ge=1, le=12)
    send_to_client: bool = False
    # A client with no plan gets the introduction to the plans once, this many days after
    # its contract start or first request.
    introduce_plans: bool = False
    introduce_after_days: int = Field(30, ge=1, le=365)


class AuthenticationSettings(_Section):
    # An approval or a staff command counts only when the agency's own receiving server
    # says DMARC (or aligned DKIM) passed for the sender.
    required: bool = True
    authserv_id: str = "mx.agency.example"


def smtp_sends_as_imap(values: Any) -> Any:
    """[smtp] with auth = "oauth2" and no [smtp.oauth2] of its own uses the account of
    [imap.oauth2]: one mailbox that reads and sends, one refresh token."""
    if not isinstance(values, dict):
        return values
    smtp, imap = values.get("smtp"), values.get("imap")
    if not isinstance(smtp, dict) or smtp.get("auth") != "oauth2" or "oauth2" in smtp:
        return values
    shared = imap.get("oauth2") if isinstance(imap, dict) else getattr(imap, "oauth2", None)
    if shared is not None:
        return {**values, "smtp": {**smtp, "oauth2": shared}}
    return values


class MailboxSettings(_Section):
    """One of several support addresses (``[[mailbox]]``): its own IMAP folder to read and
    SMTP server to send from. Requests that come in on it are answered from it, under its
    brand (the name in From and in the emails; the agency's name when empty)."""

    address: EmailAddress
    brand: str = ""
    imap: ImapSettings
    smtp: SmtpSettings

    @model_validator(mode="before")
    @classmethod
    def _smtp_sends_as_imap(cls, values: Any) -> Any:
        return smtp_sends_as_imap(values)


class Settings(BaseSettings):
    """Every setting of one intake installation."""

    model_config = SettingsConfigDict(
        env_prefix="INTAKE_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    agency_name: str = "Example Agency"
    support_address: EmailAddress = "support@agency.example"
    timezone: str = "Europe/London"
    country: str = "GB"
    database_url: str = "sqlite:///intake.db"
    redis_url: str = ""
    plans_file: Path = REPO_CONFIG_DIR / "plans.toml"
    rules_file: Path = REPO_CONFIG_DIR / "rules.toml"
    examples_dir: Path = REPO_EXAMPLES_DIR
    templates_dir: Path | None = None
    max_attachment_bytes: int = Field(10 * 1024 * 1024, ge=0)
    imap: ImapSettings = ImapSettings()
    smtp: SmtpSettings = SmtpSettings()
    # Several support addresses, each with its own [mailbox.imap] and [mailbox.smtp]; when
    # none is given, support_address with [imap] and [smtp] is the one mailbox.
    mailbox: tuple[MailboxSettings, ...] = ()
    staff: tuple[StaffMember, ...] = ()
    queue: QueueSettings = QueueSettings()
    sweeper: SweeperSettings = SweeperSettings()
    replies: ReplySettings = ReplySettings()
    quotes: QuoteSettings = QuoteSettings()
    sla: SlaSettings = SlaSettings()
    billing: BillingSettings = BillingSettings()
    advice: AdviceSettings = AdviceSettings()
    authentication: AuthenticationSettings = AuthenticationSettings()

    @model_validator(mode="before")
    @classmethod
    def _smtp_sends_as_imap(cls, values: Any) -> Any:
        return smtp_sends_as_imap(values)

    @field_validator("mailbox")
    @classmethod
    def _distinct(cls, value: tuple[MailboxSettings, ...]) -> tuple[MailboxSettings, ...]:
        for key, what in (
            (lambda m: m.address, "address"),
            (lambda m: m.imap.mailbox_name, "imap"),
        ):
            seen = [key(m) for m in value]
            twice = sorted({k for k in seen if seen.count(k) > 1})
            if twice:
                raise ValueError(f"two mailboxes have the same {what}: {twice[0]}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        supported = "intake supports sqlite:///PATH and postgresql+psycopg://USER@HOST/DB"
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL; {supported}") from None
        try:
            driver = (url.get_backend_name(), url.get_dialect().driver)
        except NoSuchModuleError:
            raise ValueError(f"unknown database {url.drivername!r}; {supported}") from None
        if driver not in DATABASE_DRIVERS:
            raise ValueError(f"driver {'+'.join(driver)!r} is not supported; {supported}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        # Checked here, without connecting, so a typo is one line before any process
        # starts rather than a traceback from the broker. The URL itself is not repeated:
        # it may hold a password.
        shape = "write redis://HOST:6379/0 (rediss:// for TLS, unix:///PATH?db=0)"
        if not value:
            return value
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must be empty (in-process queue) or a Redis URL; {shape}")
        try:
            parse_url(value)  # redis-py's own reading: query options such as ?db=
            parts = urlsplit(value)
            port = parts.port  # redis-py skips a port of 0 and a database it cannot read
        except ValueError as exc:
            raise ValueError(f"{str(exc).rstrip('.')}; {shape}") from None
        if parts.scheme == "unix":
            if not parts.path:
                raise ValueError(f"no socket path; {shape}")
            return value
        if not parts.hostname:
            raise ValueError(f"no host; {shape}")
        if port == 0:
            raise ValueError(f"port 0 is not a port; {shape}")
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise ValueError(f"database {database!r} is not a number; {shape}")
        return value

    @property
    def staff_addresses(self) -> frozenset[str]:
        return frozenset(member.email for member in self.staff)

    def staff_member(self, who: str) -> StaffMember | None:
        """The staff member ``who`` names: their address, its local part ("dana"), their
        name or first name, in any case; None when it names nobody or more than one."""
        wanted = who.strip().lower()
        for key in (
            lambda m: m.email,
            lambda m: m.email.partition("@")[0],
            lambda m: m.name.strip().lower(),
            lambda m: (m.name.split() or [""])[0].lower(),
        ):
            found = [member for member in self.staff if key(member) == wanted]
            if len(found) == 1:
                return found[0]
        return None

    @property
    def own_addresses(self) -> frozenset[str]:
        """Addresses intake itself sends from: mail from them is never answered."""
        return frozenset({self.support_address, *(m.address for m in self.mailboxes)})

    @property
    def mailboxes(self) -> tuple[MailboxSettings, ...]:
        """Every mailbox intake reads, the first the one staff emails leave from."""
        if self.mailbox:
            return self.mailbox
        return (MailboxSettings(address=self.support_address, imap=self.imap, smtp=self.smtp),)

    def mailbox_named(self, name: str | None) -> MailboxSettings:
        """The mailbox whose folder is ``name`` (``ImapSettings.mailbox_name``), else the
        first: mail from the command line, or from a folder no longer configured."""
        for mailbox in self.mailboxes:
            if mailbox.imap.mailbox_name == name:
                return mailbox
        return self.mailboxes[0]

    def mailbox_at(self, address: str) -> MailboxSettings:
        """The mailbox that sends as ``address``, else the first."""
        wanted = address.strip().lower()
        return next((m for m in self.mailboxes if m.address == wanted), self.mailboxes[0])

    def brand_of(self, mailbox: MailboxSettings) -> str:
        return mailbox.brand or self.agency_name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init values; the environment overrides it.
        return (env_settings, init_settings)


_RELATIVE_KEYS = ("plans_file", "rules_file", "examples_dir", "templates_dir")


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from ``path`` (a TOML file), ``INTAKE_*`` variables and overrides.

    Relative paths in the file are taken relative to the file's folder.
    """
    values: dict[str, Any] = {}
    if path is not None:
        values = read_toml(path, "config file ", ConfigError)
        base = path.resolve().parent
        for key in _RELATIVE_KEYS:
            if isinstance(values.get(key), str) and values[key]:
                values[key] = _relative_to(base, values[key])
        url = values.get("database_url")
        if (
            isinstance(url, str)
            and url.startswith("sqlite:///")
            and not url.startswith("sqlite:////")
        ):
            relative = url.removeprefix("sqlite:///")
            if relative and relative != ":memory:":
                values["database_url"] = f"sqlite:///{base / relative}"
        _no_key_in_file(values, path)
        for _, oauth2 in _oauth2_sections(values):
            for key in ("token_file", "certificate_file"):
                if isinstance(oauth2.get(key), str) and oauth2[key]:
                    oauth2[key] = str(base / oauth2[key])  # an absolute path stays as it is
    values.update(overrides)
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except SettingsError as exc:
        # A section or list given whole in one variable (INTAKE_IMAP, INTAKE_STAFF) that
        # is not JSON never reaches validation.
        raise ConfigError(_describe_environment(exc)) from None


def _oauth2_sections(values: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("imap", "smtp"):
        server = values.get(section)
        oauth2 = server.get("oauth2") if isinstance(server, dict) else None
        if isinstance(oauth2, dict):
            yield section, oauth2


def _no_key_in_file(values: dict[str, Any], path: Path) -> None:
    """The key that decrypts stored refresh tokens must not sit beside them in a file
    that backups and repositories copy: it comes from the environment only."""
    for section, oauth2 in _oauth2_sections(values):
        if "token_key" in oauth2:
            variable = f"INTAKE_{section.upper()}__OAUTH2__TOKEN_KEY"
            raise ConfigError(
                f"setting {section}.oauth2.token_key: keep it out of the config file; set "
                f"{variable} [{path}]"
            )


def _relative_to(base: Path, value: str) -> str:
    candidate = Path(value)
    if candidate.is_absolute():
        return value
    # "config/plans.toml" written from the project root still works when the file
    # itself lives in config/.
    for root in (base, *base.parents):
        if (root / candidate).exists():
            return str(root / candidate)
    return str(base / candidate)


def _describe(exc: ValidationError, path: Path | None) -> str:
    error = exc.errors()[0]
    loc = list(error["loc"])
    message = error["msg"]
    nested = error.get("ctx", {}).get("error")
    if isinstance(nested, NestedKeyError):
        loc += nested.key.split(".")
        message = nested.reason
    key = ".".join(str(part) for part in loc)
    env = "INTAKE_" + "__".join(str(p).upper() for p in loc if not isinstance(p, int))
    where = f"{path} or {env}" if path else env
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"setting {key}: {message} [{where}]{more}"


def _describe_environment(exc: SettingsError) -> str:
    named = re.search(r'field "(\w+)"', str(exc))
    key = named.group(1) if named else "?"
    reason = str(exc.__cause__).splitlines()[0] if exc.__cause__ else str(exc)
    return f"setting {key}: INTAKE_{key.upper()} is not valid JSON: {reason}"
