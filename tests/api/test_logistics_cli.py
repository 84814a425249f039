"""``tanbo logistics``: the commands around the demo (which tests/api/test_cli.py runs)."""

from pathlib import Path

from tests.api.test_cli import tanbo


def test_a_bad_id_and_a_missing_broker_are_one_line_each(tmp_path: Path) -> None:
    missing = tanbo("logistics", "timeline", "abcd1234", cwd=tmp_path)
    assert missing.returncode == 2
    assert "0 deliveries start with 'abcd1234'" in missing.stderr
    assert "Traceback" not in missing.stderr
    answer = tanbo("logistics", "cold-chain", cwd=tmp_path)
    assert answer.returncode == 2
    assert "set mqtt_url to the sensors' broker" in answer.stderr
    assert "Traceback" not in answer.stderr
