"""Hypothesis state machine over the OptionsPool on anvil (docs/architecture.md §15 invariants).

Actors by role: two LPs (lp, stranger) deposit and redeem; two option traders (taker, maker2)
buy, sell and round-trip options of the three nearest series; the keeper hedges the pool's
delta through the real book (the maker keeps futures liquidity on both sides); time moves by
hours or to the next morning (index report in the fixing window, daily update, settlement of
expired series, claims of every holder, the pool included), so examples cross expiries.
The maker's top order on each side is one lot, so the next hedge there fills it whole and the book
records the fill (docs/architecture.md §16): the pool's maker fee from it arrives only at a fold
(the claim at expiry folds first; a series where the maker has only records is claimed too).
CI runs 4 examples of 14 steps from a pinned seed (`CI_SEED`); `make fuzz` (RANGEBOUND_FUZZ=long)
a seeded campaign of 30 examples of 30 steps (`RANGEBOUND_FUZZ_SEED`, `_EXAMPLES`, `_STEPS`
override).

After every step:
* the pool and every trader are fully collateralised (vault balance >= requirement);
* the vault is solvent: token balance >= Σ balances + Σ unclaimed P&L of every holder, and
  P&L is zero-sum per settled series (Σ unclaimed + Σ claimed == 0 over all holders);
* positions are zero-sum per open series: over every holder (the pool, the traders, the
  book's maker) Σ futures lots == 0, Σ futures cost == 0 and Σ lots of each option == 0,
  checked after every step for each series that had a fill in it (positions change only by
  fills);
* LPs can always take out their share of free collateral: maxWithdraw(lp) ==
  min(previewRedeem(shares), free collateral less 1 bp), and redeeming maxRedeem(lp) goes
  through at every step (simulated with eth_call, so the state is unchanged) and pays
  previewRedeem of those shares;
* the share price moves only by fees, marks and P&L, checked around EVERY step. Block times
  are pinned (anvil's block timestamp interval 0: a block has its parent's timestamp unless
  time is moved on purpose), so within a trading or LP step every mark is taken at one
  instant. With TA = totalAssets, S = totalSupply before, TA', S' after, and from the step's
  events: spread = Σ pool trades (price − model) × lots in the pool's favour (`Traded`),
  fees = Σ Clearinghouse fees of the market's fills (the pool is its fee account) − the fees
  the pool paid − the growth of the maker fees owed to the pool (a book maker's fee is deferred
  to its next fold, or kept with its fill record until a fold: `fees_owed`), hedge = Σ the pool's futures fills n × (E[S] − price) at the model E[S]:
  - trade / round trip / hedge steps (no LP action): S' == S and TA' − TA == spread + fees
    + hedge exactly (a trade moves NAV/share by its spread and fees, nothing else);
  - round trip: additionally TA' >= TA (the trader's round trip never lowers the LPs' NAV);
  - deposit / redeem: TA'/S' >= TA/S exactly (cross-multiplied, no slack);
  - time steps (hours, mornings, expiries): S' == S, the pool does not trade, and its cash
    moves only by its own claims and fees received (Δ vault balance == Σ its `Claimed` P&L
    + fees), so NAV/share moves only by the model's re-marks, settled P&L and fees;
* the owner retunes a pool parameter (in bounds, or one past and refused; a stranger is always
  refused): S' == S and the pool's cash is unchanged, and TA' == TA unless the volatility
  multiplier (the marks' model) moved; every invariant above then holds under the new value;
* no trader round trip profits: buying then selling back the same lots returns at most the
  cost (a rule), and every trade pays/receives exactly what `quote` said.
"""

from __future__ import annotations

import time

import ape
import pytest
from helpers import NOT_OWNER, POOL_SETTERS, sunday_noon_after
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from rangebound.constants import CALL, FUTURE, POOL_VIRTUAL_SHARES, PUT
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system, report

POOL_REASONS = ("pool: ", "clearinghouse: insufficient collateral", "clearinghouse: position cap")


@pytest.fixture(scope="module")
def env(chain, accounts, deployer, guardian):
    # a fixed phase (Sunday 12:00 UTC, clear of any fixing window), so the derandomised draws meet
    # the same calendar on every run and a failure replays (`@reproduce_failure`)
    warp(chain, sunday_noon_after(chain.pending_timestamp))
    system = deploy_system(deployer, guardian=guardian, pool_fees=True)
    roles = {"lp": accounts[8], "stranger": accounts[5], "taker": accounts[3],
             "maker2": accounts[6], "maker": accounts[2], "keeper": accounts[4]}
    return system, roles


REFUSED: dict[str, int] = {}
RETUNED: dict[str, int] = {}     # setter -> retunes applied
RECORDS = {"seen": 0}            # fee reads that found a maker's unfolded fill records (not asserted > 0)
STATS = {"steps": 0, "trades": 0, "round_trips": 0, "hedges": 0, "claims": 0, "mornings": 0,
         "lp_actions": 0, "zero_sum_checks": 0, "retunes": 0}
# (setter, getter, value, in bounds) for `retune`: each pool setter at both edges (depth 1, 10 %
# utilisation and a day's cutoff among them: values that bite) and one past each edge
RETUNES = [(setter, getter, value, ok) for setter, getter, _event, lo, hi in POOL_SETTERS
           for value, ok in ((lo, True), (hi, True), (hi + 1, False), (lo - 1, False))
           if value >= 0]                          # a lowest bound of 0 has no "one below"


def price_kept(before: tuple[int, int], after: tuple[int, int], slack_ppb: int = 0) -> bool:
    """The pool's share price (TA + 1) / (S + VIRTUAL_SHARES), at which every deposit and
    redemption converts, is no lower after than before, give or take `slack_ppb` parts per
    billion (cross-multiplied: exact)."""
    (ta, ts), (ta2, ts2), v = before, after, POOL_VIRTUAL_SHARES
    return (ta2 + 1) * (ts + v) * (10**9 + slack_ppb) >= (ta + 1) * (ts2 + v) * 10**9


class PoolMachine(RuleBasedStateMachine):
    system = None
    roles = None

    def __init__(self) -> None:
        super().__init__()
        s = self.system
        self.m = s.markets["BTC"]
        self.pool, self.reg, self.ch, self.vault = self.m.pool, self.m.registry, s.clearinghouse, s.vault
        self.snap = ape.chain.snapshot()
        self.btc = 100_000.0
        self.claimed: dict[int, int] = {}   # expiry -> Σ claimed P&L
        self.series: set[int] = set()        # expiries anyone traded
        self.quoted: set[int] = set()        # expiries the maker quoted (where it may hold records)
        self.crossed = False                 # this example has moved past an expiry
        self.retuned: str | None = None      # the setter the last retune step applied

    # ------------------------------------------------------------ helpers

    def fund(self, who, usd: float, vault: bool = True) -> int:
        amount = self.system.usd(usd)
        acct = self.roles[who]
        self.system.token.mint(acct, amount, sender=self.system.deployer)
        if vault:
            self.system.token.approve(self.vault, amount, sender=acct)
            self.vault.deposit(amount, sender=acct)
        return amount

    def holders(self):
        return [self.pool] + [self.roles[r] for r in ("taker", "maker2", "maker")]

    def pick(self, series: int, strike: int):
        expiry = int(self.reg.live_expiries()[series])
        strikes = list(self.reg.strikes(expiry))
        return expiry, int(strikes[strike % len(strikes)])

    def liquidity(self) -> None:
        """The maker rests futures on both sides of each of the three nearest series: one lot
        at the top, which the next hedge on that side fills whole (a fill the book records,
        its maker fee reaching the pool only at a fold: docs/architecture.md §16), and 100
        lots a tick behind it."""
        idx, _ = self.reg.index_price()
        tick = int(self.reg.tick())
        for e in list(self.reg.live_expiries())[:3]:
            lo, hi = self.reg.bounds(e)
            for side, off in ((True, -20), (False, 20)):
                best = self.m.book.best_bid(e, FUTURE, 0) if side else self.m.book.best_ask(e, FUTURE, 0)
                if int(best) != 0:
                    continue
                for lots, behind in ((1, 0), (100, -1 if side else 1)):
                    price = min(max((int(idx) // tick + off + behind) * tick, lo), hi)
                    self.m.book.place_order(e, FUTURE, 0, side, price, lots, 0, 1, sender=self.roles["maker"])
                self.quoted.add(int(e))

    def share_price(self) -> tuple[int, int]:
        return int(self.pool.totalAssets()), int(self.pool.totalSupply())

    def fees_owed(self) -> int:
        """Maker fees the pool (the market's fee account) is owed but has not received: a book
        maker's futures fill defers its fee to the maker's next fold (docs/architecture.md §16),
        or, filling its order whole, keeps it with the fill's record until anyone folds it, so
        a hedge's `Fill` states a maker fee that reaches the pool's cash, and its NAV, later
        (the maker's claim, its next order there, anyone's `recalculate` or `fold`)."""
        owed = 0
        for who in ("taker", "maker2", "maker"):
            acct = self.roles[who]
            for reg, e in self.ch.open_series(acct):
                if reg == self.reg.address:
                    owed += int(self.ch.deferred(acct, self.reg, e)[1])
            for e in sorted(self.quoted):   # a series with only records is not on the open list
                fee = int(self.m.book.unfolded(acct, e).fee)
                owed += fee
                RECORDS["seen"] += fee != 0
        return owed

    def has_position(self, holder, expiry: int) -> bool:
        """A claimable position: the series on the holder's open list, or fill records of it
        not folded yet (the claim folds them first)."""
        return (any(int(r.expiry) == expiry for r in self.ch.open_series(holder))
                or int(self.m.book.unfolded(holder, expiry).reserve) != 0)

    # ------------------------------------------------------------ rules

    @initialize()
    def setup(self) -> None:
        self.fund("lp", 50_000, vault=False)
        self.system.token.approve(self.pool, 2**255, sender=self.roles["lp"])
        self.pool.deposit(self.system.usd(50_000), self.roles["lp"], sender=self.roles["lp"])
        for who in ("taker", "maker2"):
            self.fund(who, 20_000)
        self.fund("maker", 200_000)
        self.liquidity()
        expiry, k = self.pick(0, 10)   # every example holds a position in the nearest series
        self.trade("maker2", expiry, PUT, k, 3, True)

    def lp_deposit(self, who: str, usd: int) -> None:
        acct = self.roles[who]
        amount = self.fund(who, usd, vault=False)
        self.system.token.approve(self.pool, amount, sender=acct)
        ta, ts = self.share_price()
        if self.pool.paused():
            return
        self.pool.deposit(amount, acct, sender=acct)
        STATS["lp_actions"] += 1
        self.check_share_price(ta, ts)

    def lp_redeem(self, who: str, part: int) -> None:
        acct = self.roles[who]
        shares = int(self.pool.maxRedeem(acct)) // part
        if shares == 0 or int(self.pool.previewRedeem(shares)) == 0:
            return
        ta, ts = self.share_price()
        self.pool.redeem(shares, acct, acct, sender=acct)
        STATS["lp_actions"] += 1
        self.check_share_price(ta, ts)

    def check_share_price(self, ta: int, ts: int) -> None:
        """The price of a share never falls on an LP action (same-block marks: 1 unit of slack per
        second elapsed would be time decay; the action is in the next block). The price is the
        pool's own, (TA + 1) / (S + VIRTUAL_SHARES), at which every deposit and redemption
        converts: with the virtual offset, TA / S of the real holders alone is not conserved
        when S is small (the virtual holder's share of TA, V / (S + V), changes with S)."""
        ta2, ts2 = self.share_price()
        assert price_kept((ta, ts), (ta2, ts2), slack_ppb=1)

    def trade(self, who: str, expiry: int, kind: int, strike: int, qty: int, is_buy: bool) -> int | None:
        acct = self.roles[who]
        try:
            total = int(self.pool.quote(expiry, kind, strike, qty, is_buy))
        except ape.exceptions.ContractLogicError as err:
            assert any(r in str(err) for r in POOL_REASONS), str(err)
            REFUSED[str(err)] = REFUSED.get(str(err), 0) + 1
            return None
        before = int(self.vault.balance_of(acct))
        try:
            if is_buy:
                self.pool.buy(expiry, kind, strike, qty, total, sender=acct)
            else:
                self.pool.sell(expiry, kind, strike, qty, total, sender=acct)
        except ape.exceptions.ContractLogicError as err:
            assert any(r in str(err) for r in POOL_REASONS), str(err)
            return None
        after = int(self.vault.balance_of(acct))
        assert after - before == (-total if is_buy else total)
        self.series.add(expiry)
        STATS["trades"] += 1
        return total

    def option_trade(self, who, series, strike, kind, qty, is_buy) -> None:
        expiry, k = self.pick(series, strike)
        self.trade(who, expiry, kind, k, qty, is_buy)

    def round_trip(self, who, series, strike, kind, qty, buy_first) -> None:
        expiry, k = self.pick(series, strike)
        first = self.trade(who, expiry, kind, k, qty, buy_first)
        if first is None:
            return
        second = self.trade(who, expiry, kind, k, qty, not buy_first)
        if second is not None:
            paid, got = (first, second) if buy_first else (second, first)
            assert got <= paid, "round trip profit"
            STATS["round_trips"] += 1

    def hedge(self, series: int, strike: int, qty: int) -> None:
        """A trader buys `qty` calls (the pool goes short delta), then the keeper hedges."""
        expiry, k = self.pick(series, strike)
        if qty:
            self.trade("taker", expiry, CALL, k, qty, True)
        if abs(int(self.pool.delta(expiry))) <= int(self.pool.hedge_band()) * 10**18:
            return
        try:
            self.pool.hedge(expiry, sender=self.roles["keeper"])
            STATS["hedges"] += 1
        except ape.exceptions.ContractLogicError as err:
            # a same-expiry hedge can RAISE the requirement (short calls hedged near the top of
            # the range lose on the futures at the lower bound: docs/decisions.md, "A hedge can
            # raise the pool's requirement"); with the LPs' free collateral taken out it reverts
            # and the pool stays fully collateralised, unhedged
            allowed = ("pool: stale index", "pool: series not live", "book: ",
                       "clearinghouse: insufficient collateral")
            assert any(r in str(err) for r in allowed), str(err)
            REFUSED[f"hedge: {err}"] = REFUSED.get(f"hedge: {err}", 0) + 1

    def advance(self, mode: str, move_bps: int, hours: int) -> None:
        if mode == "expiry":   # mornings until the nearest series has expired and settled
            first = int(self.reg.live_expiries()[0])
            for _ in range(4):
                self.advance("morning", move_bps, hours)
                if ape.chain.pending_timestamp > first:
                    return
            return
        chain = ape.chain
        now = chain.pending_timestamp
        if mode == "hours":
            target = now + hours * 3600
            nxt = cal.day_start(now) + cal.WINDOW_START
            if nxt <= now:
                nxt += cal.DAY
            if target >= nxt:   # never jump over a morning: take it whole
                mode = "morning"
            else:
                warp(chain, target)
                chain.mine()
                return
        update = cal.day_start(now) + cal.EXPIRY_OFFSET
        if update <= now:
            update += cal.DAY
        warp(chain, max(update - 240, now))
        self.btc *= 1 + move_bps / 10_000
        report(self.system.feeds["BTC/USD"], self.system.deployer, self.btc)
        report(self.system.feeds["USD1/USD"], self.system.deployer, 1.0)
        warp(chain, update + 60)
        self.reg.daily_update(sender=self.roles["keeper"])
        STATS["mornings"] += 1
        for e in sorted(self.series):
            if e <= chain.pending_timestamp and int(self.reg.settlement_price(e)) == 0:
                self.reg.settle(e, sender=self.roles["keeper"])
            if int(self.reg.settlement_price(e)) != 0:
                for h in self.holders():
                    if self.has_position(h, e):
                        pnl = int(self.system.lens.unclaimed_pnl(h, self.reg, e))
                        self.ch.claim(h, self.reg, e, sender=self.roles["keeper"])
                        self.claimed[e] = self.claimed.get(e, 0) + pnl
                        STATS["claims"] += 1
        self.liquidity()

    def retune(self, n: int, who: str) -> None:
        """The owner sets one pool parameter (RETUNES[n]); out of bounds, or from a stranger,
        it reverts with its reason and changes nothing."""
        setter, getter, value, ok = RETUNES[n % len(RETUNES)]
        STATS["retunes"] += 1                # attempts: a stranger's or an out-of-bounds one too
        fn = getattr(self.pool, setter)
        before = int(getattr(self.pool, getter)())
        self.retuned = None
        if who == "stranger" or not ok:
            reason = NOT_OWNER if who == "stranger" else "pool: out of bounds"
            with ape.reverts(reason):
                fn(value, sender=self.roles["stranger"] if who == "stranger" else self.system.deployer)
            assert int(getattr(self.pool, getter)()) == before
            return
        fn(value, sender=self.system.deployer)
        assert int(getattr(self.pool, getter)()) == value
        self.retuned = setter
        RETUNED[setter] = RETUNED.get(setter, 0) + 1

    # one rule that dispatches, so hypothesis' swarm testing cannot switch an action off
    @rule(
        action=st.sampled_from(["deposit", "redeem", "trade", "round_trip", "hedge", "advance", "retune"]),
        who=st.integers(0, 1), series=st.integers(0, 2), strike=st.integers(0, 63),
        kind=st.sampled_from([CALL, PUT]), qty=st.integers(1, 30), flag=st.booleans(),
        n=st.integers(0, 5_000),
    )
    def step(self, action, who, series, strike, kind, qty, flag, n) -> None:
        before = (*self.share_price(), int(self.vault.balance_of(self.pool)), self.fees_owed())
        b0 = ape.chain.blocks.head.number + 1
        self.act(action, who, series, strike, kind, qty, flag, n)
        self.check_step(action, before, b0)

    def explained(self, b0: int, b1: int) -> tuple[int, int, int, int, set[int]]:
        """(spread, fees, hedge, claims, expiries with a fill) of blocks b0..b1 - 1 (see the
        module docstring)."""
        if b1 <= b0:       # no block mined in the step
            return 0, 0, 0, 0, set()
        pool = self.pool.address
        spread = sum((t.price - t.model if t.trader_is_buy else t.model - t.price) * t.qty
                     for t in self.pool.Traded.range(b0, b1))
        fees = hedge = 0
        filled: set[int] = set()
        for f in self.ch.Fill.range(b0, b1):
            filled.add(int(f.expiry))
            fees += f.taker_fee + f.maker_fee
            if pool in (f.taker, f.maker):
                fees -= f.taker_fee if f.taker == pool else f.maker_fee
            if f.kind == FUTURE and pool in (f.taker, f.maker):
                n = f.qty if f.taker_is_buy == (f.taker == pool) else -f.qty
                hedge += n * (int(self.pool.model_price(f.expiry, FUTURE, 0)) - f.price)
        claims = sum(c.pnl for c in self.ch.Claimed.range(b0, b1) if c.account == pool)
        return spread, fees, hedge, claims, filled

    def check_step(self, action: str, before: tuple[int, int, int, int], b0: int) -> None:
        ta, ts, cash, owed = before
        ta2, ts2 = self.share_price()
        b1 = ape.chain.blocks.head.number + 1
        spread, fees, hedge, claims, filled = self.explained(b0, b1)
        # fees stated by this step's fills, less those still owed, plus earlier ones paid now
        fees -= self.fees_owed() - owed
        self.check_zero_sum(filled)
        if action in ("deposit", "redeem"):
            # at the pool's own price (check_share_price), exactly: no slack
            assert price_kept((ta, ts), (ta2, ts2)), "LP action lowered the share price"
        elif action == "advance":
            assert ts2 == ts and spread == hedge == 0
            assert int(self.vault.balance_of(self.pool)) - cash == claims + fees
        elif action == "retune":
            assert b1 - b0 <= 1 and ts2 == ts and int(self.vault.balance_of(self.pool)) == cash
            assert ta2 == ta or self.retuned == "set_vol_multiplier", (self.retuned, ta, ta2)
        else:
            assert ts2 == ts
            assert ta2 - ta == spread + fees + hedge, (ta2 - ta, spread, fees, hedge)
            if action == "round_trip":
                assert ta2 >= ta, "round trip lowered the LPs' NAV"

    def act(self, action, who, series, strike, kind, qty, flag, n) -> None:
        lp, trader = ("lp", "stranger")[who], ("taker", "maker2")[who]
        if action == "deposit":
            self.lp_deposit(lp, 10 + n)
        elif action == "redeem":
            self.lp_redeem(lp, 1 + n % 4)
        elif action == "trade":
            self.option_trade(trader, series, strike, kind, qty, flag)
        elif action == "round_trip":
            self.round_trip(trader, series, strike, kind, qty, flag)
        elif action == "hedge":
            self.hedge(series, strike, qty)   # always pushes delta: every example hedges
        elif action == "retune":
            self.retune(n, "stranger" if n % 7 == 0 else "owner")
        else:
            # the first move of time in an example crosses an expiry (settle, claim, trade on)
            mode = ("hours", "morning", "expiry")[n % 3] if self.crossed else "expiry"
            self.crossed = True
            self.advance(mode, n % 601 - 300, 1 + n % 6)

    # ------------------------------------------------------------ invariants

    @invariant()
    def collateralised_solvent_exitable(self) -> None:
        STATS["steps"] += 1                  # invariants run after every step (and the setup)
        total, unclaimed = 0, {}
        for h in self.holders() + [self.roles["lp"], self.roles["stranger"]]:
            bal = int(self.vault.balance_of(h))
            assert bal >= int(self.ch.requirement(h)), f"{h} under-collateralised"
            total += bal
        for e in self.series:
            if int(self.reg.settlement_price(e)) != 0:
                unclaimed[e] = sum(int(self.system.lens.unclaimed_pnl(h, self.reg, e)) for h in self.holders())
                assert unclaimed[e] + self.claimed.get(e, 0) == 0, "P&L not zero-sum"
        assert int(self.system.token.balanceOf(self.vault)) >= total + sum(unclaimed.values())
        free = int(self.vault.free_collateral(self.pool))
        for who in ("lp", "stranger"):
            acct = self.roles[who]
            shares = int(self.pool.balanceOf(acct))
            room = free - -(-free // 10_000)   # 1 bp kept back for the next block's marks
            assert int(self.pool.maxWithdraw(acct)) == min(int(self.pool.previewRedeem(shares)), room)
            out = int(self.pool.maxRedeem(acct))
            preview = int(self.pool.previewRedeem(out)) if out else 0
            if preview:
                # the LP can take it out now: the redemption itself goes through (eth_call)
                assert int(self.pool.redeem.call(out, acct, acct, sender=acct)) == preview

    def check_zero_sum(self, expiries: set[int]) -> None:
        """Σ over holders of each instrument's position is 0 in every series in `expiries`."""
        for e in expiries:
            n = cost = 0
            options: dict[tuple[int, int], int] = {}
            for h in self.holders():
                fn, fc = self.ch.futures_position(h, self.reg, e)
                n, cost = n + int(fn), cost + int(fc)
                for kind, strike, q in self.ch.option_legs(h, self.reg, e):
                    options[(int(kind), int(strike))] = options.get((int(kind), int(strike)), 0) + int(q)
            assert n == 0 and cost == 0, f"futures not zero-sum in {e}: {n} lots, cost {cost}"
            assert all(q == 0 for q in options.values()), f"options not zero-sum in {e}: {options}"
            STATS["zero_sum_checks"] += 1

    def teardown(self) -> None:
        ape.chain.restore(self.snap)


# the campaign's sizes of this machine: CI derandomised (every rule runs, asserted below); long
# (`make fuzz`) seeded, ~0.7 s a step, so ~10 minutes (RANGEBOUND_FUZZ_EXAMPLES/_STEPS override)
CI_SIZE, LONG_SIZE = (4, 14), (30, 30)
# CI's draws come from a pinned seed: derandomised hypothesis seeds itself from the machine
# class's source, so any edit of the class reshuffled CI's 4 x 14 draws, and about one draw in
# four leaves a rule without a success (seeds 1-4 with the fill-record liquidity: seed 3 had no
# retune), failing the every-rule check below for no fault of the contracts
CI_SEED = 1


def test_pool_machine(env, campaign):
    PoolMachine.system, PoolMachine.roles = env
    machine = PoolMachine
    s = campaign.seed()
    if s is not None:
        print(f"\npool: RANGEBOUND_FUZZ_SEED={s}")
    machine = hypothesis_seed(CI_SEED if s is None else s)(machine)
    provider = ape.chain.provider   # pin block times: marks of a step are taken at one instant
    provider.make_request("anvil_setBlockTimestampInterval", [0])
    t0 = time.time()
    try:
        run_state_machine_as_test(machine, settings=campaign.settings(*CI_SIZE, long=LONG_SIZE))
    finally:
        provider.make_request("anvil_removeBlockTimestampInterval", [])
    campaign.record("pool", seconds=round(time.time() - t0, 1), records_seen=RECORDS["seen"], **STATS)
    print("\npool machine:", STATS, "refused quotes:", REFUSED, "retunes applied:", RETUNED,
          "records seen:", RECORDS["seen"])
    # derandomized: every rule ran (trades, round trips, hedges, LPs, mornings, claims at expiry)
    assert min(STATS.values()) > 0, STATS
