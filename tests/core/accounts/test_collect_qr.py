"""The Collect settings QR code decodes exactly as Collect's importer reads it."""

import base64
import json
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.core.accounts import collect_qr


def test_payload_round_trips_through_base64_and_zlib_with_header() -> None:
    settings = collect_qr.collect_settings(
        "https://chumchon.example/", "TOK", 3, "ตำบลหนองบัว", username="somchai"
    )
    payload = collect_qr.encode_settings(settings)
    decoded = json.loads(zlib.decompress(base64.b64decode(payload, validate=True)).decode("utf-8"))
    assert set(decoded) >= {"general", "admin"}
    assert decoded["general"]["server_url"] == "https://chumchon.example/key/TOK/projects/3"
    assert decoded["general"]["form_update_mode"] == "match_exactly"
    assert decoded["general"]["autosend"] == "wifi_and_cellular"
    assert decoded["general"]["app_language"] == "th_TH"
    assert decoded["general"]["metadata_username"] == "somchai"
    assert decoded["admin"] == {}
    assert decoded["project"] == {"name": "ตำบลหนองบัว", "icon": "ช", "color": "#1b5e20"}
    assert collect_qr.decode_settings(payload) == decoded


def test_png_is_written_and_terminal_rendering_is_compact(tmp_path: Path) -> None:
    payload = collect_qr.encode_settings(
        collect_qr.collect_settings("http://127.0.0.1:8080", "T", 1, "โครงการ")
    )
    target = collect_qr.qr_png(payload, tmp_path / "qr.png")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = collect_qr.qr_terminal(payload)
    assert len(text.splitlines()) > 10


def test_cli_creates_a_collector_prints_its_url_and_draws_its_qr(settings_env, tmp_path: Path) -> None:
    main = pytest.importorskip("server.cli").main  # the CLI package needs every area's module to exist
    env = dict(settings_env, CHUMCHON_PUBLIC_URL="https://chumchon.example")
    runner = CliRunner()
    created = runner.invoke(main, ["users", "create", "nok", "--role", "collector"], env=env)
    assert created.exit_code == 0, created.output
    assert "https://chumchon.example/key/" in created.output and "/projects/1" in created.output
    manager = runner.invoke(
        main, ["users", "create", "boss", "--role", "manager"], env=env, input="long-enough-pw\n"
    )
    assert manager.exit_code == 0, manager.output
    listed = runner.invoke(main, ["users", "list"], env=env)
    assert "nok\tcollector@1\ttoken" in listed.output and "boss\tmanager@1\tpassword+digest" in listed.output
    png = tmp_path / "nok.png"
    qr = runner.invoke(
        main, ["collect-qr", "nok", "--output", str(png), "--base-url", "http://10.0.0.5:8080"], env=env
    )
    assert qr.exit_code == 0, qr.output
    assert png.read_bytes()[:4] == b"\x89PNG" and "█" in qr.output
    assert "http://10.0.0.5:8080/key/" in qr.output
    refused = runner.invoke(main, ["collect-qr", "boss"], env=env)
    assert refused.exit_code == 1 and "token" in refused.output
    short = runner.invoke(main, ["users", "create", "x", "--role", "admin", "--password", "short"], env=env)
    assert short.exit_code == 1 and "8" in short.output and "Traceback" not in short.output
