"""config/hub/jupyterhub_config.py read as JupyterHub reads it, without starting a hub."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[2]
HUB_DIR = REPO / "config" / "hub"


def load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> dict:
    for name in list(os.environ):
        if name.startswith("TPOP_HUB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TPOP_HUB_STATE", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(HUB_DIR)).load_config()


def option(args: list[str], name: str) -> list[str]:
    return [a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")]


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict:
    return load(monkeypatch, tmp_path, TPOP_HUB_PASSWORD="x" * 20)


def test_the_demo_listens_on_the_loopback_only(config: dict) -> None:
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert config.JupyterHub.hub_bind_url.startswith("http://127.0.0.1:")
    assert config.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    args = config.Spawner.args
    assert option(args, "Voila.ip") == ["127.0.0.1"]


def test_each_server_is_voila_behind_the_guarded_standalone_proxy(config: dict) -> None:
    cmd, args = config.Spawner.cmd, config.Spawner.args
    assert cmd[-1] == str(HUB_DIR / "voila_proxy.py")
    split = args.index("--")
    proxy, voila = args[:split], args[split + 1 :]
    assert voila[1:4] == ["-m", "voila", str(REPO / "notebooks")]
    # Voila's own token, never on a command line: voila_proxy.py passes it in the env.
    assert not [a for a in args if "token" in a.lower()]
    assert option(voila, "Voila.base_url") == ["{base_url}/"]
    assert "--absolute-url" in proxy
    # The hub's idle culling must see real activity only (no periodic heartbeat).
    assert option(proxy, "activity-interval") == ["0"]
    # The shared settings, in the order of `make serve-shared`.
    assert option(voila, "Voila.config_file_paths") == [
        str(REPO / "config" / "shared"),
        str(REPO),
    ]


def test_the_upload_limit_is_voila_jsons_on_the_proxy_too(config: dict) -> None:
    limit = json.loads((REPO / "voila.json").read_text())["Voila"]["tornado_settings"][
        "websocket_max_message_size"
    ]
    proxy = config.Spawner.args[: config.Spawner.args.index("--")]
    assert option(proxy, "websocket-max-message-size") == [str(limit)]


def test_the_idle_culler_runs_as_a_service_with_its_role(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = load(monkeypatch, tmp_path, TPOP_HUB_PASSWORD="x" * 20,
                  TPOP_HUB_IDLE_TIMEOUT="1800", TPOP_HUB_CULL_EVERY="60")
    (service,) = config.JupyterHub.services
    assert service["name"] == "idle-culler"
    assert service["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=1800" in service["command"] and "--cull-every=60" in service["command"]
    (role,) = config.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"]
    assert "delete:servers" in role["scopes"] and "admin:users" not in role["scopes"]


def test_who_may_sign_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: dict) -> None:
    assert config.JupyterHub.authenticator_class == "shared-password"
    assert config.SharedPasswordAuthenticator.user_password == "x" * 20
    assert config.SharedPasswordAuthenticator.allowed_users == {"alice", "bob"}
    # A short password stops the hub before it starts.
    with pytest.raises(SystemExit, match="16 characters"):
        load(monkeypatch, tmp_path, TPOP_HUB_PASSWORD="short")
    # No password: nobody can sign in until a site file sets its own authenticator.
    bare = load(monkeypatch, tmp_path, TPOP_HUB_USERS="anne, marc")
    assert bare.SharedPasswordAuthenticator.user_password == ""
    assert bare.SharedPasswordAuthenticator.allowed_users == {"anne", "marc"}


def test_a_site_file_points_the_servers_at_the_image(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = load(monkeypatch, tmp_path, TPOP_HUB_APP_DIR="/srv/tpop-kb",
                  TPOP_HUB_PYTHON="/srv/tpop-kb/.venv/bin/python")
    assert config.Spawner.cmd == ["/srv/tpop-kb/.venv/bin/python",
                                  "/srv/tpop-kb/config/hub/voila_proxy.py"]
    voila = config.Spawner.args[config.Spawner.args.index("--") + 1 :]
    assert voila[:4] == ["/srv/tpop-kb/.venv/bin/python", "-m", "voila", "/srv/tpop-kb/notebooks"]
    assert "--Voila.config_file_paths=/srv/tpop-kb/config/shared" in voila
