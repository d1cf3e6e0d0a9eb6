"""The venue against real third-party code: Circle's FiatToken v2.2 (USDC's proxy and
implementation) and Chainlink's AggregatorProxy, deployed on the upstream anvil from their npm
packages (see conftest.py, `third_party`), then the venue deployed on a fork of it with
`deploy_system(token=USDC, feeds={...})`.

What FiatToken's controls do to the venue (stated in README, "For integrators"):
- blocklisting the VAULT freezes every token movement in or out (deposits, withdrawals,
  withdraw_to all revert with FiatToken's "Blacklistable: account is blacklisted"); the
  venue's internal accounting (orders, fills, settlement, claims) goes on; unblocking releases
  everything, nothing is lost;
- blocklisting a USER blocks that user's own deposits and withdrawals to itself, but
  `withdraw_to(receiver)` gets the money out to a receiver that is not blocklisted;
- pausing the token stops deposits and withdrawals ("Pausable: paused"), nothing else.
"""

from __future__ import annotations

import ape
import pytest
from helpers import fund_account

from rangebound.constants import DAY, FUTURE, IOC, POST_ONLY
from rangebound.models import calendar as cal
from rangebound.ops.deploy import USD, deploy_system  # USDC has 6 decimals, as USD1

PHASE = 2**64
BLOCKED = "Blacklistable: account is blacklisted"


class Venue:
    """The venue deployed on the fork, and Ape views of the third-party contracts."""

    def __init__(self, tp, system, accounts):
        self.tp, self.system = tp, system
        self.usdc = ape.Contract(tp.usdc, abi=tp.usdc_abi)
        self.btc_proxy = ape.Contract(tp.btc_proxy, abi=tp.proxy_abi)
        self.btc_agg = ape.Contract(tp.btc_aggregator, abi=tp.aggregator["abi"])
        self.peg_agg = ape.Contract(tp.peg_aggregator, abi=tp.aggregator["abi"])
        self.circle = accounts[8]
        if system is not None:
            self.vault, self.ch = system.vault, system.clearinghouse
            self.reg, self.book = system.markets["BTC"].registry, system.markets["BTC"].book

    def push(self, btc: float, peg: float = 1.0, agg=None) -> None:
        """New rounds on both feeds' current aggregators (8 decimals)."""
        (agg or self.btc_agg).updateAnswer(round(btc * 10**8), sender=self.circle)
        self.peg_agg.updateAnswer(round(peg * 10**8), sender=self.circle)

    def fund(self, account, usd: int) -> None:
        fund_account(self.usdc, self.vault, self.circle, account, usd * USD)

    def trade(self, maker, taker, e: int, qty: int = 2) -> int:
        lo, hi = self.reg.bounds(e)
        tick = self.reg.tick()
        price = (lo + hi) // 2 // tick * tick
        self.book.place_order(e, FUTURE, 0, False, price, qty, POST_ONLY, 1, sender=maker)
        self.book.place_order(e, FUTURE, 0, True, price, qty, IOC, 4, sender=taker)
        assert self.ch.futures_position(taker, self.reg, e) == (qty, qty * price)
        return price


@pytest.fixture(scope="module", autouse=True)
def venue(real_fork, third_party, chain, accounts, deployer, maker, taker, keeper, stranger,
          treasury):
    """On the fork, at the next Sunday 06:30 UTC: fresh feed rounds, the venue deployed against
    USDC and the two AggregatorProxies, maker and taker funded with 10,000 USDC each."""
    t = cal.day_start(chain.pending_timestamp + DAY) + 6 * 3600 + 1800
    while cal.weekday(t) != cal.SUNDAY:
        t += DAY
    chain.pending_timestamp = t
    tp = third_party
    v = Venue(tp, None, accounts)
    v.push(100_000.0)
    system = deploy_system(deployer, token=tp.usdc,
                           feeds={"BTC/USD": tp.btc_proxy, "USD1/USD": tp.peg_proxy})
    v = Venue(tp, system, accounts)
    for a in (maker, taker):
        v.fund(a, 10_000)
    return v


def _monday(v: Venue) -> int:
    e = v.reg.live_expiries()[0]
    assert cal.weekday(e) == cal.MONDAY and e - ape.chain.pending_timestamp < 2 * DAY
    return e


def test_fork_usdc__venue_holds_real_fiat_token(venue, upstream, third_party):
    v, tp = venue, third_party
    assert v.vault.token() == tp.usdc == v.system.token.address
    assert v.usdc.decimals() == 6 and v.usdc.symbol() == "USDC" and v.usdc.version() == "2"
    assert v.system.decimals == 6
    assert v.reg.params().index_feed == tp.btc_proxy
    assert v.btc_proxy.description() == "v0.6/tests/MockV3Aggregator.sol"
    assert v.btc_proxy.phaseId() == 1 and v.btc_proxy.latestRoundData()[0] == PHASE + 2
    assert v.usdc.balanceOf(v.vault) == 20_000 * USD
    # the token lives upstream, behind its proxy: the fork reads the upstream's code
    assert len(upstream.rpc("eth_getCode", tp.usdc, "latest")) > 2
    assert len(upstream.rpc("eth_getCode", tp.usdc_impl, "latest")) > 2 * 20_000


def test_fork_usdc__deposit_trade_settle_claim_withdraw(venue, chain, maker, taker, keeper):
    v = venue
    e = _monday(v)
    price = v.trade(maker, taker, e)
    before = {a: v.vault.balance_of(a) for a in (taker, maker)}  # the taker's fee was taken at the fill
    fee = v.book.unfolded(maker, e).fee          # the maker's, a fill record's, moves at its claim
    assert fee > 0 and v.ch.deferred(maker, v.reg, e) == (0, 0) == v.ch.deferred(taker, v.reg, e)
    chain.pending_timestamp = e - 240
    v.push(110_000.0)
    chain.pending_timestamp = e + 60
    v.reg.settle(e, sender=keeper)
    s = v.reg.settlement_price(e)
    assert s == v.reg.fixing(e, e // DAY) > price
    for a in (taker, maker):
        v.ch.claim(a, v.reg, e, sender=keeper)
        assert v.ch.requirement(a) == 0
    pnl = 2 * (s - price)
    assert v.vault.balance_of(taker) == before[taker] + pnl
    assert v.vault.balance_of(maker) == before[maker] - pnl - fee
    assert v.book.unfolded(maker, e).reserve == 0 and v.ch.reserved(maker) == 0
    for a in (taker, maker):
        bal, held = v.vault.balance_of(a), v.usdc.balanceOf(a)
        v.vault.withdraw(bal, sender=a)
        assert v.usdc.balanceOf(a) == held + bal
    assert v.usdc.balanceOf(v.vault) == v.vault.balance_of(v.ch.fee_account_of(v.reg))  # fees only


def test_fork_usdc__vault_blocklisted__money_frozen_accounting_goes_on(venue, maker, taker,
                                                                       treasury):
    v = venue
    v.usdc.blacklist(v.vault, sender=v.circle)
    assert v.usdc.isBlacklisted(v.vault)
    v.usdc.mint(maker, 100 * USD, sender=v.circle)
    v.usdc.approve(v.vault, 100 * USD, sender=maker)
    with ape.reverts(BLOCKED):
        v.vault.deposit(100 * USD, sender=maker)
    with ape.reverts(BLOCKED):
        v.vault.withdraw(USD, sender=maker)
    with ape.reverts(BLOCKED):
        v.vault.withdraw_to(treasury, USD, sender=maker)
    # no token moves, so trading and margin still work on the internal balances
    e = _monday(v)
    price = v.trade(maker, taker, e)
    assert v.ch.futures_position(maker, v.reg, e) == (-2, -2 * price)
    assert v.ch.requirement(maker) > 0
    # unblocking releases everything
    v.usdc.unBlacklist(v.vault, sender=v.circle)
    free = v.vault.free_collateral(maker)
    v.vault.withdraw(free, sender=maker)
    assert v.usdc.balanceOf(maker) == 100 * USD + free


def test_fork_usdc__user_blocklisted__withdraw_to_gets_the_money_out(venue, maker, treasury):
    v = venue
    v.usdc.blacklist(maker, sender=v.circle)
    with ape.reverts(BLOCKED):
        v.vault.withdraw(USD, sender=maker)
    v.vault.withdraw_to(treasury, 10_000 * USD, sender=maker)
    assert v.usdc.balanceOf(treasury) == 10_000 * USD
    assert v.vault.balance_of(maker) == 0


def test_fork_usdc__token_paused__deposits_and_withdrawals_stop(venue, maker, taker):
    v = venue
    v.usdc.pause(sender=v.circle)
    with ape.reverts("Pausable: paused"):
        v.vault.withdraw(USD, sender=maker)
    with ape.reverts("Pausable: paused"):
        v.vault.deposit(USD, sender=taker)
    assert v.vault.balance_of(maker) == 10_000 * USD
    v.usdc.unpause(sender=v.circle)
    v.vault.withdraw(USD, sender=maker)


def _new_phase(v: Venue, btc: float):
    """Deploy a new aggregator (its first round now) and switch the BTC proxy to it."""
    agg = v.circle.deploy(ape.contracts.ContractContainer(_mock_type(v)), 8, round(btc * 10**8))
    v.btc_proxy.proposeAggregator(agg, sender=v.circle)
    v.btc_proxy.confirmAggregator(agg, sender=v.circle)
    return agg


def _mock_type(v: Venue):
    from ethpm_types import ContractType

    return ContractType.model_validate({
        "contractName": "MockV3Aggregator", "abi": v.tp.aggregator["abi"],
        "deploymentBytecode": {"bytecode": v.tp.aggregator["bytecode"]},
    })


def test_fork_chainlink__phase_change_before_window__registry_finds_the_round(venue, chain,
                                                                             keeper):
    v = venue
    e = _monday(v)
    chain.pending_timestamp = e - DAY + 60          # Sunday's 08:00 update, on phase 1
    v.reg.daily_update(sender=keeper)
    chain.pending_timestamp = e - 600               # Monday 07:50: Chainlink upgrades
    agg = _new_phase(v, 104_000.0)
    chain.pending_timestamp = e - 240               # 07:56, in the window: phase 2, round 2
    v.push(107_000.0, agg=agg)
    assert v.btc_proxy.latestRoundData()[0] == 2 * PHASE + 2  # round ids jumped by 2**64
    chain.pending_timestamp = e + 30                # a round after the window...
    v.push(120_000.0, agg=agg)
    chain.pending_timestamp = e + 120               # ...before the keeper's update
    v.reg.settle(e, sender=keeper)
    lot = 107_000 * USD // 1000                      # 0.001 BTC at the window's 107,000 USD
    assert v.reg.fixing(e, e // DAY) == lot == v.reg.settlement_price(e)


def test_fork_chainlink__phase_change_after_window__settles_on_first_new_phase_round(
        venue, chain, keeper, maker):
    """The registry's round search looks inside the latest phase: when the new aggregator's
    first round is later than the window, the window's round (phase 1) is not seen, so that
    day has no source (docs/architecture.md §4: ranges kept, trading goes on) and the settlement takes the
    first index round reported after the window: the new phase's first round. No stall."""
    v = venue
    e = _monday(v)
    chain.pending_timestamp = e - DAY + 60
    v.reg.daily_update(sender=keeper)
    chain.pending_timestamp = e - 240               # 07:56: the window's round, phase 1
    v.push(107_000.0)
    chain.pending_timestamp = e + 10                # 08:00:10: Chainlink upgrades
    _new_phase(v, 108_000.0)
    chain.pending_timestamp = e + 120
    v.reg.settle(e, sender=keeper)
    assert v.reg.fixing(e, e // DAY) == 0           # the window's round was not visible
    lo, hi = v.reg.bounds(e)
    lot = 108_000 * USD // 1000                     # the first round after the window
    assert v.reg.settlement_price(e) == max(lo, min(lot, hi))
    # trading goes on in the market's other series (the book runs the update lazily)
    later = v.reg.live_expiries()[-1]
    lo, hi = v.reg.bounds(later)
    v.book.place_order(later, FUTURE, 0, True, lo, 1, 0, 1, sender=maker)
    assert v.book.best_bid(later, FUTURE, 0) == lo
