"""``tanbo logistics``: the commands around the demo (which tests/api/test_cli.py runs)."""

from pathlib import Path

from tests.api.test_cli import tanbo


def test_an_empty_register_lists_nothing_and_a_bad_id_is_one_line(tmp_path: Path) -> None:
    depots = tanbo("logistics", "depots", cwd=tmp_path)
    assert depots.returncode == 0, depots.stderr
    assert "Depots" in depots.stdout
    listed = tanbo("logistics", "deliveries", cwd=tmp_path)
    assert "Deliveries (0 of 0)" in listed.stdout
    missing = tanbo("logistics", "timeline", "abcd1234", cwd=tmp_path)
    assert missing.returncode == 2
    assert "0 deliveries start with 'abcd1234'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_cold_chain_listener_needs_a_broker(tmp_path: Path) -> None:
    answer = tanbo("logistics", "cold-chain", cwd=tmp_path)
    assert answer.returncode == 2
    assert "set mqtt_url to the sensors' broker" in answer.stderr
    assert "Traceback" not in answer.stderr
