"""`ape console --network ...`: the current network's recorded Rangebound contracts.

Every contract in `deployments/<ecosystem>_<network>.json` becomes a console name
(`token`, `vault`, `clearinghouse`, `lens`, `btc_registry`, `btc_book`, `feed_btc_usd`,
...), plus `rangebound` (the Python package) and `deploy_system` for a fresh local deployment.
"""

from __future__ import annotations


def ape_init_extras(**namespace):
    import rangebound
    from rangebound.ops.deploy import deploy_system
    from rangebound.ops.records import load_deployment, network_key

    extras = {"rangebound": rangebound, "deploy_system": deploy_system}
    try:
        recorded = load_deployment()
    except FileNotFoundError:
        extras["deployment_network"] = None
        print(f"rangebound: no deployment recorded for {network_key()}; on a node you run: "
              "make deploy NETWORK=<its URI> ACCOUNT=<alias>, then ape console --network <URI>")
        return extras
    from ape import chain

    # a local record from another anvil session points at addresses with no code here
    if chain.provider.get_code(recorded["vault"].address):
        extras.update(recorded)
        extras["deployment_network"] = network_key()
    else:
        print(f"rangebound: the {network_key()} record has no code on this chain; "
              "use deploy_system(accounts.test_accounts[0]) for a fresh local system")
        extras["deployment_network"] = None
    return extras
