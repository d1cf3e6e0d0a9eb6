"""`deploy_system(token=..., feeds={...})`: an existing settlement token and existing
AggregatorV3 feeds are used as they are (real USDC and Chainlink: tests/fork); the default
deployment's feeds describe their pair as Chainlink does ("BTC / USD")."""

from __future__ import annotations

import pytest
from ape import project

from rangebound.ops.deploy import FEED_DECIMALS, deploy_system, external_token_and_feeds, report


@pytest.fixture(scope="module")
def existing(deployer):
    """A token and two feeds deployed by someone else before the venue."""
    token = project.ReferenceUSD1.deploy(18, sender=deployer)
    feeds = {}
    for name, price in (("BTC / USD", 90_000.0), ("USDC / USD", 1.0)):
        feed = project.ReporterFeed.deploy(FEED_DECIMALS, name, 1, 5_000, sender=deployer)
        feed.add_reporter(deployer, sender=deployer)
        report(feed, deployer, price)
        feeds[name] = feed
    return token, feeds


def test_deploy_system__existing_token_and_feeds__used_not_deployed(existing, deployer):
    token, feeds = existing
    sys_ = deploy_system(deployer, token=token.address,
                         feeds={"BTC/USD": feeds["BTC / USD"].address,
                                "USD1/USD": feeds["USDC / USD"].address})
    assert sys_.token.address == token.address == sys_.vault.token()
    assert sys_.decimals == 18 and sys_.params["token"] == token.address
    reg = sys_.markets["BTC"].registry
    p = reg.params()
    assert p.index_feed == feeds["BTC / USD"].address
    assert p.peg_feed == feeds["USDC / USD"].address
    assert p.token_decimals == 18
    assert len(reg.live_expiries()) == 6
    # the index per lot follows the existing feed's 90,000 USD/BTC: 0.001 BTC lot = 90 USD1
    assert reg.index_price() == (90 * 10**18, True)
    assert sys_.addresses()["feeds"] == {"BTC/USD": feeds["BTC / USD"].address,
                                         "USD1/USD": feeds["USDC / USD"].address}


def test_deploy_system__default__chainlink_style_descriptions(system):
    assert system.feeds["BTC/USD"].description() == "BTC / USD"
    assert system.feeds["USD1/USD"].description() == "USD1 / USD"


def test_deploy_system__token_without_code__raises(deployer, stranger):
    with pytest.raises(ValueError, match="no contract there"):
        deploy_system(deployer, token=stranger.address)


def test_deploy_system__unknown_feed_role__raises(existing, deployer):
    _, feeds = existing
    with pytest.raises(TypeError, match="unknown feeds: \\['ETH/USD'\\]"):
        deploy_system(deployer, feeds={"ETH/USD": feeds["BTC / USD"].address})


def test_external_token_and_feeds__sepolia_and_its_fork__official_addresses():
    spec = external_token_and_feeds("ethereum_sepolia")
    assert spec == {
        "token": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238",
        "feeds": {"BTC/USD": "0x1b44F3514812d835EB1BDB0acB33d3fA3351Ee43",
                  "USD1/USD": "0xA2F78ab2355fe2f984D808B5CeE7FD0A93D5270E"},
    }
    assert external_token_and_feeds("ethereum_sepolia_fork") == spec
    assert external_token_and_feeds("ethereum_local") == {}


def test_deploy_script__options__override_the_network_file(load_script):
    import click

    deploy = load_script("deploy")
    spec = deploy.external("0x" + "11" * 20, ("BTC/USD=0x" + "22" * 20,), False,
                           "ethereum_sepolia")
    assert spec["token"] == "0x" + "11" * 20
    assert spec["feeds"] == {"BTC/USD": "0x" + "22" * 20,
                             "USD1/USD": "0xA2F78ab2355fe2f984D808B5CeE7FD0A93D5270E"}
    assert deploy.external(None, (), True, "ethereum_sepolia") == {}  # --reference
    with pytest.raises(click.BadParameter, match="expected NAME=ADDRESS"):
        deploy.external(None, ("ETH/USD=0x" + "22" * 20,), True, "ethereum_local")
