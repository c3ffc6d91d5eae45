"""``bridgecast bench encode --json`` prints the contract keys (a short, small run)."""
import json

from bench.encode import main


def test_bench_encode_prints_the_contract(capsys):
    assert main(["--json", "--seconds", "1", "--warmup", "0.3", "--canvas", "640x360", "--peer", "pyav", "--loop-seconds", "0.5"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["preset"] == "fastest"
    assert [(layer["rid"], layer["width"], layer["height"]) for layer in result["layers"]] == [("h", 640, 360), ("m", 320, 180), ("l", 160, 90)]
    for layer in result["layers"]:
        assert layer["ms_per_frame_p50"] > 0 and layer["psnr_db"] > 20
    assert result["cpu_percent_of_one_core"] > 0
    assert result["peer"]["name"].startswith("PyAV naive ladder") and result["peer"]["cpu_percent_of_one_core"] > 0
    assert result["ratio_vs_peer"] == round(result["cpu_percent_of_one_core"] / result["peer"]["cpu_percent_of_one_core"], 3)
