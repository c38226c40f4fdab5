"""Settings: a TOML file plus INTAKE_* variables, typed; a mistake is one line naming the key."""

from __future__ import annotations

import typing
from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from intake.errors import ConfigError
from intake.settings import load_settings

EXAMPLE = Path(__file__).parent.parent / "config" / "intake.example.toml"


def test_the_example_file_loads_and_resolves_paths_next_to_it():
    settings = load_settings(EXAMPLE)
    assert settings.imap.host == "imap.agency.example"
    assert settings.plans_file == EXAMPLE.parent / "plans.toml"
    assert settings.plans_file.exists() and settings.rules_file.exists()
    assert settings.staff[0].email == "dana@agency.example"


def test_environment_overrides_nested_keys(monkeypatch):
    monkeypatch.setenv("INTAKE_IMAP__PASSWORD", "s3cret")
    monkeypatch.setenv("INTAKE_IMAP__PORT", "1143")
    monkeypatch.setenv("INTAKE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = load_settings(EXAMPLE)
    assert settings.imap.password.get_secret_value() == "s3cret"
    assert settings.imap.port == 1143
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_relative_sqlite_path_is_next_to_the_file(tmp_path):
    config = tmp_path / "intake.toml"
    config.write_text('database_url = "sqlite:///data/intake.db"\n')
    assert load_settings(config).database_url == f"sqlite:///{tmp_path}/data/intake.db"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[imap]\nport = "abc"\n', "imap.port"),
        ('[imap]\nsecurity = "tls13"\n', "imap.security"),
        ('timezone = "Mars/Olympus"\n', "timezone"),
        ('support_adress = "x@y"\n', "support_adress"),
        ('database_url = "mysql://x"\n', "database_url"),
        ('database_url = "sqlite:garbage"\n', "database_url"),
        ('database_url = "postgresqlfoo://x"\n', "database_url"),
        ('database_url = "postgresql+psycopg2://u@h/db"\n', "database_url"),
        ('[[staff]]\nemail = "not-an-address"\n', "staff.0.email"),
        ("[sla]\nfrom_arrival_within = inf\n", "sla.from_arrival_within"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_key(tmp_path, text, named):
    config = tmp_path / "intake.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "\n" not in message
    assert f"setting {named}:" in message


@pytest.mark.parametrize(
    "url", ["sqlite:///x.db", "sqlite://", "postgresql+psycopg://u@h/db", "postgresql://u@h/db"]
)
def test_a_database_url_intake_can_use_is_accepted(url):
    assert load_settings(None, database_url=url).database_url == url


def test_a_database_url_with_a_driver_intake_lacks_says_which_are_supported():
    # Given a URL SQLAlchemy knows, for a driver intake does not install
    # When the settings are loaded
    with pytest.raises(ConfigError) as caught:
        load_settings(None, database_url="postgresql+psycopg2://u@h/db")
    # Then the one line names the setting, the driver and what would work
    message = str(caught.value)
    assert message.startswith("setting database_url: ") and "\n" not in message
    assert "'postgresql+psycopg2'" in message and "postgresql+psycopg://" in message


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:notaport/0",
        "redis://127.0.0.1:70000/0",
        "redis://127.0.0.1:0/0",
        "redis://127.0.0.1:6379/zero",
        "redis://127.0.0.1:6379/0?db=x",
        "redis://:6379/0",
        "unix://",
        "http://127.0.0.1:6379/0",
    ],
)
def test_a_redis_url_that_does_not_parse_is_one_line_naming_it(url):
    # Given a Redis URL with a port, database, host or scheme that cannot be read
    # When the settings are loaded (nothing connects to Redis)
    with pytest.raises(ConfigError) as caught:
        load_settings(None, redis_url=url)
    # Then the one line names the setting and shows the shape that works
    message = str(caught.value)
    assert message.startswith("setting redis_url: ") and "\n" not in message
    assert "redis://HOST:6379/0" in message


@pytest.mark.parametrize(
    "url",
    [
        "",
        "redis://127.0.0.1:6379/15",
        "redis://localhost",
        "rediss://:secret@redis.agency.example:6380/2",
        "redis://[::1]:6379/0",
        "unix:///run/redis.sock?db=3",
    ],
)
def test_a_redis_url_intake_can_use_is_accepted(url):
    assert load_settings(None, redis_url=url).redis_url == url


@pytest.mark.parametrize("key", ["sla.digest_at", "billing.at"])
@pytest.mark.parametrize("written", ['"08:00Z"', '"06:00+01:00"', "8", '"8:00"', '"24:00"'])
def test_a_scheduled_time_must_be_a_local_clock_time(tmp_path, key, written):
    # Given a daily time written with an offset, as a bare number or not as HH:MM
    section, _, name = key.partition(".")
    config = tmp_path / "intake.toml"
    config.write_text(f"[{section}]\n{name} = {written}\n")
    # When the settings are loaded
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    # Then one line names the key and shows how to write it
    message = str(caught.value)
    assert message.startswith(f"setting {key}: ") and "\n" not in message
    assert 'write it as "08:00"' in message


@pytest.mark.parametrize(
    ("written", "read"),
    [('"08:00"', time(8, 0)), ('"18:30:15"', time(18, 30, 15)), ("07:45:00", time(7, 45))],
)
def test_a_scheduled_time_is_read_as_agency_wall_clock_time(tmp_path, written, read):
    # Given the digest time as "HH:MM", "HH:MM:SS" or a TOML local time
    config = tmp_path / "intake.toml"
    config.write_text(f"[sla]\ndigest_at = {written}\n[billing]\nat = {written}\n")
    # When the settings are loaded
    settings = load_settings(config)
    # Then both are that time of day with no offset, ready to compare with local time
    assert settings.sla.digest_at == read and settings.sla.digest_at.tzinfo is None
    assert settings.billing.at == read and settings.billing.at.tzinfo is None


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [("INTAKE_STAFF", "nope", "staff"), ("INTAKE_IMAP", "{bad", "imap")],
)
def test_a_variable_that_is_not_json_is_one_line_naming_it(monkeypatch, variable, value, named):
    # Given a whole section or list set in one variable, not as JSON
    monkeypatch.setenv(variable, value)
    # When the settings are loaded
    with pytest.raises(ConfigError) as caught:
        load_settings(EXAMPLE)
    # Then the error names the setting and the variable
    message = str(caught.value)
    assert message.startswith(f"setting {named}: {variable} is not valid JSON")
    assert "\n" not in message


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    # Given a settings file saved as Latin-1
    config = tmp_path / "intake.toml"
    config.write_bytes('agency_name = "Café"\n'.encode("latin-1"))
    # When it is loaded, then the one line names the file and says what is wrong
    with pytest.raises(ConfigError, match=r"^config file .*intake\.toml is not UTF-8 text"):
        load_settings(config)


def test_a_missing_or_broken_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("agency_name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)


def test_settings_are_frozen():
    settings = load_settings(EXAMPLE)
    with pytest.raises(ValidationError):
        settings.agency_name = "Other"  # type: ignore[misc]


def test_the_example_file_documents_every_setting():
    from pydantic import BaseModel

    from intake.settings import Settings

    text = EXAMPLE.read_text()

    def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
        found = []
        for name, field in model.model_fields.items():
            kind = field.annotation
            optional = [k for k in typing.get_args(kind) if k is not type(None)]
            if len(optional) == 1:  # a section that may be left out: [imap.oauth2]
                kind = optional[0]
            if isinstance(kind, type) and issubclass(kind, BaseModel) and name != "staff":
                found += keys(kind, f"{prefix}{name}.")
            else:
                found.append(prefix + name)
        return found

    assert "[[staff]]" in text and "\nlead = " in text
    for key in keys(Settings):
        if key == "staff":
            continue
        section, _, name = key.rpartition(".")
        assert f"\n{name} = " in text or f"# {name} = " in text, f"{key} is not documented"
        if section:
            assert f"[{section}]" in text


@pytest.mark.parametrize(
    ("oauth2", "line"),
    [
        (None, 'setting imap.oauth2.client_id: required when imap.auth = "oauth2"'),
        ({}, 'setting imap.oauth2.client_id: required when imap.auth = "oauth2"'),
        ({"client_id": "c"}, 'setting imap.oauth2.tenant: required for provider "microsoft"'),
        ({"client_id": "c", "tenant": "t"}, "setting imap.oauth2.token_file: required with"),
        (
            {"client_id": "c", "tenant": "t", "token_store": "database"},
            'setting imap.oauth2.token_key: required with token_store = "database"; set '
            "INTAKE_IMAP__OAUTH2__TOKEN_KEY",
        ),
        (
            {"provider": "google", "client_id": "c", "token_file": "t"},
            'setting imap.oauth2.client_secret: required for provider "google"',
        ),
        (
            {"provider": "generic", "client_id": "c", "token_file": "t"},
            'setting imap.oauth2.token_url: required for provider "generic"',
        ),
        (
            {"provider": "generic", "client_id": "c", "token_file": "t", "token_url": "http://x/t"},
            "setting imap.oauth2.token_url: must be an https:// URL",
        ),
        (
            {
                "provider": "google",
                "client_id": "c",
                "client_secret": "s",
                "token_file": "t",
                "authorize_url": "http://accounts.example/auth",
            },
            "setting imap.oauth2.authorize_url: must be an https:// URL",
        ),
        (
            {"client_id": "c", "tenant": "t", "token_file": "t", "authorize_url": "https://x/a"},
            'setting imap.oauth2.authorize_url: not for provider "microsoft"',
        ),
    ],
)
def test_an_incomplete_oauth2_section_is_one_line_naming_the_key(tmp_path, oauth2, line):
    config = tmp_path / "intake.toml"
    text = '[imap]\nauth = "oauth2"\nusername = "support@agency.example"\n'
    if oauth2 is not None:
        text += "[imap.oauth2]\n" + "".join(f'{k} = "{v}"\n' for k, v in oauth2.items())
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).startswith(line), str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_token_key_is_refused_in_the_config_file(tmp_path):
    config = tmp_path / "intake.toml"
    config.write_text('[imap.oauth2]\ntoken_key = "abc"\n')
    with pytest.raises(ConfigError, match="set INTAKE_IMAP__OAUTH2__TOKEN_KEY"):
        load_settings(config)


def test_a_token_file_is_relative_to_the_config_file(tmp_path):
    config = tmp_path / "intake.toml"
    config.write_text(
        '[imap]\nauth = "oauth2"\nusername = "support@agency.example"\n'
        '[imap.oauth2]\nclient_id = "c"\ntenant = "t"\ntoken_file = "secrets/imap.token"\n'
    )
    oauth2 = load_settings(config).imap.oauth2
    assert oauth2 is not None and oauth2.token_file == tmp_path / "secrets" / "imap.token"


def test_one_mailbox_without_mailbox_tables_and_several_with_them():
    one = load_settings(None, support_address="Help@Agency.example")
    [only] = one.mailboxes
    assert (only.address, only.imap, only.smtp) == ("help@agency.example", one.imap, one.smtp)
    box = {"imap": {"host": "imap.b.example"}, "smtp": {"host": "smtp.b.example"}}
    several = load_settings(
        None,
        mailbox=[
            {"address": "support@a.example", **box, "imap": {"host": "imap.a.example"}},
            {"address": "Billing@B.example", "brand": "B", **box},
        ],
    )
    assert [m.address for m in several.mailboxes] == ["support@a.example", "billing@b.example"]
    assert several.mailbox_at("billing@b.example").smtp.host == "smtp.b.example"
    assert several.mailbox_named("nobody@x:1/INBOX").address == "support@a.example"
    assert {"support@a.example", "billing@b.example"} <= several.own_addresses
    assert several.brand_of(several.mailboxes[1]) == "B"
    assert several.brand_of(several.mailboxes[0]) == "Example Agency"


def test_two_mailboxes_on_one_address_or_folder_are_one_line():
    box = {"imap": {"host": "imap.example"}, "smtp": {"host": "smtp.example"}}
    with pytest.raises(ConfigError, match=r"two mailboxes have the same address: a@x\.example"):
        load_settings(None, mailbox=[{"address": "a@x.example", **box}] * 2)
    with pytest.raises(ConfigError, match="two mailboxes have the same imap"):
        load_settings(
            None, mailbox=[{"address": "a@x.example", **box}, {"address": "b@x.example", **box}]
        )
