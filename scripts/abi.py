"""`ape run abi`: regenerate `abi/<Contract>.json` and `interfaces/solidity/I<Contract>.sol`.

`ape run abi --check` writes nothing and exits 1 listing the stale files (see
`rangebound/dev/abi_export.py`). `make abi` runs the first form.
"""

from __future__ import annotations

import sys

import click
from ape import project

from rangebound.dev.abi_export import stale, write


@click.command()
@click.option("--check", is_flag=True, help="only list stale files; exit 1 if any")
def cli(check):
    """Write the ABIs and Solidity interfaces of every deployable contract."""
    if check:
        bad = stale(project)
        for p in bad:
            click.echo(f"stale: {p}")
        if bad:
            click.echo("run `make abi` to regenerate")
            sys.exit(1)
        click.echo("abi/ and interfaces/solidity/ are up to date")
        return
    for p in write(project):
        click.echo(f"wrote {p}")
