"""Every knob in one place: defaults for a laptop, the environment for everything else."""

from pathlib import Path

from core.settings import ROOT, load


def test_defaults_need_no_environment() -> None:
    s = load({})
    assert s.database_url == f"sqlite:///{ROOT / 'var' / 'shop.db'}"
    assert s.redis_url == "redis://localhost:6379/0"
    assert s.rasa_url == "http://localhost:5005"
    assert s.handoff_port == 8000 and s.handoff_teams == {}
    assert s.knowledge_file == ROOT / "nlu_data" / "knowledge" / "answers.yml"


def test_the_environment_overrides() -> None:
    s = load({"SHOP_VAR_DIR": "/tmp/x", "RASA_PORT": "6000", "HANDOFF_TEAMS": "complain_refund=billing, bad,x=",
              "HANDOFF_SLA_TICK": "0.5", "RASA_TOKEN": ""})
    assert s.database_url == "sqlite:////tmp/x/shop.db" and s.var_dir == Path("/tmp/x")
    assert s.rasa_url == "http://localhost:6000"
    assert s.handoff_teams == {"complain_refund": "billing"}
    assert s.handoff_sla_tick == 0.5 and s.rasa_token is None
