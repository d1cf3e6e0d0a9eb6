"""`ape console --network ...`: the current network's recorded Rangebound contracts.

Every contract in `deployments/<ecosystem>_<network>.json` becomes a console name
(`token`, `vault`, `clearinghouse`, `btc_registry`, `btc_book`, `feed_btc_usd`, ...), plus
`rangebound` (the Python package) and `deploy_system` for a fresh local deployment.
"""

from __future__ import annotations


def ape_init_extras(**namespace):
    import rangebound
    from rangebound.deploy import deploy_system, load_deployment, network_key

    extras = {"rangebound": rangebound, "deploy_system": deploy_system}
    try:
        extras.update(load_deployment())
        extras["deployment_network"] = network_key()
    except FileNotFoundError:
        extras["deployment_network"] = None
    return extras
