"""`scripts/quote.py`: the click command hands its nine quote options to `quote_table` unchanged."""

from __future__ import annotations

import io

from click.testing import CliRunner
from rich.console import Console

INPUTS = {"kind": "put", "spot": 100.0, "strike": 90.0, "t": 0.5, "rate": 0.01, "vol": 0.3,
          "fx_vol": 0.1, "corr": -0.4, "div": 0.02}


def _args(inputs: dict[str, object]) -> list[str]:
    return [x for key, value in inputs.items() for x in (f"--{key.replace('_', '-')}", str(value))]


def test_cli__every_option_given__prints_quote_table_of_those_inputs(load_script):
    quote = load_script("quote")
    result = CliRunner().invoke(quote.cli, _args(INPUTS), env={"COLUMNS": "120"})
    expected = Console(file=io.StringIO(), width=120)
    expected.print(quote.quote_table(**INPUTS))
    assert result.exit_code == 0, result.output
    assert result.output == expected.file.getvalue()


def test_cli__negative_vol__exits_with_the_pricing_error(load_script):
    quote = load_script("quote")
    result = CliRunner().invoke(quote.cli, _args(dict(INPUTS, vol=-1.0)))
    assert result.exit_code == 1
    assert "Error: vol must be >= 0 and finite, got -1.0" in result.output
