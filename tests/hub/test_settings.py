"""Every hub setting is documented in the README, and read from its variable."""

from pathlib import Path

from hub.config import HubSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    for variable, _help, default in HubSettings.documented():
        assert f"`{variable}`" in README, variable
        assert f"`{default}`" in README or default == "", (variable, default)


def test_flags_override_variables_which_override_defaults():
    environ = {"GALLEY_HUB_PORT": "9000", "GALLEY_HUB_DATABASE_URL": "sqlite:///x.db"}
    settings = HubSettings.load(environ, port="9100")
    assert (settings.port, settings.database_url, settings.workers) == (9100, "sqlite:///x.db", 1)
    assert HubSettings.load(settings.environ()) == settings
