# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title OptionsPool
@notice Pooled liquidity for one Rangebound market (docs/architecture.md §15): an always-on
        counterparty for every active (expiry, kind, strike), priced on the clamped Student-t
        (nu = 4) law of the range, with ERC-4626 LP shares over the settlement token.
        The pool is an ordinary account of the CollateralVault and Clearinghouse (full
        collateral, same margin rules) and a registered venue of the Clearinghouse: it books
        its trades with the Clearinghouse's `settle_fills` (one fill, the pool the maker) and
        hedges its delta with IOC futures orders on its market's OrderBook.
        totalAssets = vault balance + marks of open positions (options at the model price,
        futures n E[S] - C) + unclaimed settled P&L, floored at 0.
        Units: amounts, prices, strikes and premiums are raw settlement-token units (per lot);
        quantities whole lots; vol multiplier, beta and utilisation WAD; spreads/fees bps.
@custom:security Reentrancy lock on every state-changing function. The guardian's pause stops
        deposits, mints and trades; withdrawals, redemptions, hedges and claims never stop.
        Withdrawals are limited to the pool's free collateral. Every loop is bounded by
        MAX_OPEN_SERIES x MAX_LEGS. Virtual share offset (10**3) against the first-depositor
        inflation attack; rounding of shares and assets always favours the pool.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
from interfaces import IClearinghouse
from interfaces import ISeriesRegistry
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.tokens import erc20
from snekmate.utils import math
from snekmate.utils import pausable

from contracts.modules import constants as c
from contracts.modules import pool_math
from contracts.modules import pool_params
from contracts.modules import guardian as gd

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: erc20[ownable := ownable]
initializes: pausable
initializes: gd[ownable := ownable]
initializes: pool_params[ownable := ownable, pausable := pausable, gd := gd]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    erc20.transfer,
    erc20.approve,
    erc20.transferFrom,
    erc20.permit,
    erc20.DOMAIN_SEPARATOR,
    erc20.nonces,
    erc20.balanceOf,
    erc20.totalSupply,
    erc20.allowance,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.eip712Domain,
    pausable.paused,
    pool_params.__interface__,
    gd.guardian,
)


interface Registry:
    def is_live(expiry: uint256) -> bool: view
    def tick() -> uint256: view
    def trading_state(expiry: uint256, kind: uint8, strike: uint256) -> ISeriesRegistry.TradingState: nonpayable


interface Clearing:
    def vault() -> address: view
    def claim(account: address, registry: address, expiry: uint256): nonpayable


interface Pricer:
    def trading_state(registry: address, expiry: uint256, strike: uint256) -> ISeriesRegistry.TradingState: view
    def trade_inputs(registry: address, ch: address, vault: address, account: address, expiry: uint256, kind: uint8, strike: uint256, dq: int256, w: uint256, lo: uint256, hi: uint256, max_util: uint256) -> pool_math.TradeInputs: view
    def marks(registry: address, ch: address, account: address, w: uint256) -> int256: view
    def model_price(registry: address, expiry: uint256, kind: uint8, strike: uint256, w: uint256) -> uint256: view
    def series_delta(registry: address, ch: address, account: address, expiry: uint256, w: uint256, strict: bool) -> (int256, uint256, uint256, uint256): view


interface Vault:
    def token() -> address: view
    def balance_of(account: address) -> uint256: view
    def free_collateral(account: address) -> uint256: view
    def deposit(amount: uint256): nonpayable
    def withdraw_to(receiver: address, amount: uint256): nonpayable


interface Book:
    def place_order(expiry: uint256, kind: uint8, strike: uint256, is_buy: bool, price: uint256, qty: uint256, flags: uint256, max_fills: uint256) -> uint256: nonpayable


event Deposit:
    sender: indexed(address)
    owner: indexed(address)
    assets: uint256
    shares: uint256

event Withdraw:
    sender: indexed(address)
    receiver: indexed(address)
    owner: indexed(address)
    assets: uint256
    shares: uint256

event Traded:
    trader: indexed(address)
    expiry: indexed(uint256)
    kind: uint8
    strike: uint256
    trader_is_buy: bool
    qty: uint256
    price: uint256
    model: uint256

event Hedged:
    expiry: indexed(uint256)
    is_buy: bool
    qty: uint256
    limit: uint256
    delta_before: int256


VIRTUAL_SHARES: constant(uint256) = 10**3        # share units per asset unit of the empty pool
DECIMALS_OFFSET: constant(uint8) = 3             # share decimals = asset decimals + 3
MAX_HEDGE_FILLS: constant(uint256) = 8           # resting orders one hedge may touch
SETTLE_FILLS: constant(bytes4) = method_id("settle_fills(address,uint256,uint8,uint256,bool,(address,uint256,uint256,uint256)[],(bool,bool,uint256,uint256,bool,uint256,bool),uint256)", output_type=bytes4)
MAKER_BLOCKED: constant(bytes4) = method_id("MakerBlocked(uint8)", output_type=bytes4)
EXIT_MARGIN_BPS: constant(uint256) = 1           # bps of free collateral maxWithdraw/maxRedeem keep back
BPS: constant(uint256) = 10_000
WAD: constant(uint256) = 10**18
asset: public(immutable(address))                # settlement token
vault: public(immutable(Vault))                  # CollateralVault (the pool's cash)
clearinghouse: public(immutable(Clearing))       # Clearinghouse (the pool's positions)
registry: public(immutable(Registry))            # the market's SeriesRegistry
book: public(immutable(Book))                    # the market's OrderBook (hedges)
pricer: public(immutable(Pricer))                # PoolPricer (Student-t and margin maths)
market_tick: immutable(uint256)                  # raw units per lot: the registry's tick (fixed at its deployment)


@deploy
def __init__(registry_: address, book_: address, clearinghouse_: address, pricer_: address, guardian_: address, name_: String[25], symbol_: String[5]):
    """
    @notice Deploys the pool of one market; the deployer becomes owner. The Clearinghouse's
            owner then registers it as a venue and points the market's fee account at it.
    """
    assert registry_.is_contract and book_.is_contract and clearinghouse_.is_contract and pricer_.is_contract, "pool: not a contract"
    assert guardian_ != empty(address), "pool: zero address"
    ownable.__init__()
    ownable_2step.__init__()
    pausable.__init__()
    registry = Registry(registry_)
    book = Book(book_)
    clearinghouse = Clearing(clearinghouse_)
    pricer = Pricer(pricer_)
    market_tick = staticcall Registry(registry_).tick()
    vault = Vault(staticcall Clearing(clearinghouse_).vault())
    asset = staticcall vault.token()
    erc20.__init__(name_, symbol_, staticcall IERC20Detailed(asset).decimals() + DECIMALS_OFFSET, name_, "1")
    gd.__init__(guardian_)
    pool_params.__init__()
    extcall IERC20(asset).approve(vault.address, max_value(uint256), default_return_value=True)


struct TradeParams:   # pool_params' trading values, unpacked from its packed slot
    w: uint256            # WAD, volatility multiplier
    beta: uint256         # WAD, inventory slope
    max_util: uint256     # WAD, max utilisation
    depth: uint256        # lots
    cutoff: uint256       # s
    base_spread: uint256  # bps
    util_spread: uint256  # bps
    fee_bps: uint256      # bps
    paused: bool          # the guardian's pause (pausable.paused, copied into bit 255)


struct Trade:
    price: uint256  # raw units per lot, premium booked
    total: uint256  # raw units: trader pays (buy) / receives (sell), Clearinghouse taker fee included
    model: uint256  # raw units per lot, model price (no spread)


# ---------------------------------------------------------------- marks

@view
@internal
def _total_assets() -> uint256:
    """
    @dev Vault balance + marks of open series + unclaimed settled P&L (PoolPricer.marks),
         floored at 0. O(MAX_OPEN_SERIES × MAX_LEGS).
    """
    total: int256 = convert(staticcall vault.balance_of(self), int256) + staticcall pricer.marks(registry.address, clearinghouse.address, self, pool_params.vol_multiplier)
    if total <= 0:
        return 0
    return convert(total, uint256)


# ---------------------------------------------------------------- quoting

@view
@internal
def _params() -> TradeParams:
    """
    @dev The trading parameters and the pause flag from pool_params' packed slot (one read).
    """
    a: uint256 = pool_params.trade
    return TradeParams(
        w=a & (2**pool_params.BETA_SHIFT - 1),
        beta=(a >> pool_params.BETA_SHIFT) & (2**(pool_params.MAX_UTIL_SHIFT - pool_params.BETA_SHIFT) - 1),
        max_util=(a >> pool_params.MAX_UTIL_SHIFT) & (2**(pool_params.DEPTH_SHIFT - pool_params.MAX_UTIL_SHIFT) - 1),
        depth=(a >> pool_params.DEPTH_SHIFT) & (2**(pool_params.CUTOFF_SHIFT - pool_params.DEPTH_SHIFT) - 1),
        cutoff=(a >> pool_params.CUTOFF_SHIFT) & (2**(pool_params.BASE_SPREAD_SHIFT - pool_params.CUTOFF_SHIFT) - 1),
        base_spread=(a >> pool_params.BASE_SPREAD_SHIFT) & (2**(pool_params.UTIL_SPREAD_SHIFT - pool_params.BASE_SPREAD_SHIFT) - 1),
        util_spread=(a >> pool_params.UTIL_SPREAD_SHIFT) & (2**(pool_params.FEE_SHIFT - pool_params.UTIL_SPREAD_SHIFT) - 1),
        fee_bps=(a >> pool_params.FEE_SHIFT) & (2**(pool_params.PAUSED_SHIFT - pool_params.FEE_SHIFT) - 1),
        paused=a >> pool_params.PAUSED_SHIFT != 0,
    )


@view
@internal
def _trade(expiry: uint256, kind: uint8, strike: uint256, qty: uint256, is_buy: bool, st: ISeriesRegistry.TradingState) -> Trade:
    """
    @dev Validates a trade and prices it: model × inventory integral × (1 ± spread + fee),
         per lot on tick in [tick, max payoff], plus the Clearinghouse taker fee. The quoting
         rules of docs/architecture.md §15 first, each with its own reason, on the registry's
         trading state of the series (`st`, one read).
    """
    tp: TradeParams = self._params()
    assert not tp.paused, "pool: paused"
    assert kind == c.CALL or kind == c.PUT, "pool: bad kind"
    assert qty > 0, "pool: zero quantity"
    assert qty <= tp.depth, "pool: quantity too large"
    assert st.live, "pool: series not live"
    assert st.current, "pool: registry not current"
    assert block.timestamp + tp.cutoff < expiry, "pool: after cutoff"
    tod: uint256 = block.timestamp % c.DAY
    assert tod < c.WINDOW_START or tod > c.WINDOW_END, "pool: fixing window"
    assert st.strike_active, "pool: strike not active"
    d: int256 = convert(qty, int256)
    if is_buy:
        d = -d
    ti: pool_math.TradeInputs = staticcall pricer.trade_inputs(registry.address, clearinghouse.address, vault.address, self, expiry, kind, strike, d, tp.w, st.lower, st.upper, tp.max_util)
    max_payoff: uint256 = 0
    if kind == c.CALL and st.upper > strike:
        max_payoff = st.upper - strike
    elif kind == c.PUT and strike > st.lower:
        max_payoff = strike - st.lower
    assert max_payoff >= market_tick, "pool: strike not active"
    q1: int256 = ti.q0 + d
    assert convert(abs(q1), uint256) <= tp.depth, "pool: depth"
    if st.reduce_only:
        assert ti.q0 * q1 >= 0 and abs(q1) < abs(ti.q0), "pool: reduce only"
    assert not ti.raises or ti.u <= tp.max_util, "pool: utilisation"
    markup: uint256 = pool_math._spread_bps(tp.base_spread, tp.util_spread, min(ti.u, WAD)) + tp.fee_bps
    value: uint256 = pool_math._trade_value(ti.model, ti.q0, qty, is_buy, tp.beta, tp.depth, markup)
    price: uint256 = pool_math._lot_price(value, qty, is_buy, market_tick, max_payoff)
    premium: uint256 = price * qty
    fee: uint256 = math._ceil_div(premium * ti.fee_bps, BPS)
    total: uint256 = premium + fee
    if not is_buy:
        total = premium - min(fee, premium)
    return Trade(price=price, total=total, model=ti.model)


@internal
def _book(expiry: uint256, kind: uint8, strike: uint256, trader_is_buy: bool, price: uint256, qty: uint256, st: ISeriesRegistry.TradingState):
    """
    @dev Books the trade as one fill of `settle_fills` with the pool as maker (release 0),
         passing on the trading state read for it; the Clearinghouse checks the trader's
         collateral. A condition of the pool's own account (leg or open-series limit,
         position cap, collateral) comes back from the Clearinghouse as `MakerBlocked(code)`:
         it is reported as "pool: blocked"; any other revert is passed on as it is.
    """
    ok: bool = False
    out: Bytes[256] = b""
    fills: DynArray[IClearinghouse.MakerFill, 1] = [IClearinghouse.MakerFill(maker=self, price=price, qty=qty, release=0)]
    ok, out = raw_call(
        clearinghouse.address,
        abi_encode(msg.sender, expiry, kind, strike, trader_is_buy, fills, st, empty(uint256), method_id=SETTLE_FILLS),
        max_outsize=256,
        revert_on_failure=False,
    )
    if not ok:
        if len(out) >= 4 and convert(slice(out, 0, 4), bytes4) == MAKER_BLOCKED:
            raise "pool: blocked"
        raw_revert(out)


@view
@external
def quote(expiry: uint256, kind: uint8, strike: uint256, qty: uint256, is_buy: bool) -> uint256:
    """
    @notice Total premium of `qty` lots now (raw units, the Clearinghouse taker fee included):
            what a buyer pays (`is_buy`) or a seller receives. Reverts where the pool does not
            quote (see `buy`). Needs a current registry ("pool: registry not current" while
            an 08:00 UTC update is due: a view cannot run it; `buy`/`sell` do).
    """
    return self._trade(expiry, kind, strike, qty, is_buy, staticcall pricer.trading_state(registry.address, expiry, strike)).total


@view
@external
def model_price(expiry: uint256, kind: uint8, strike: uint256) -> uint256:
    """
    @notice Model value per lot (raw units, no spread) of CALL/PUT `strike` (FUTURE: E[S]) on the
            clamped Student-t law; with a stale index, at the last reference fixing.
    """
    return staticcall pricer.model_price(registry.address, expiry, kind, strike, pool_params.vol_multiplier)


@view
@external
def delta(expiry: uint256) -> int256:
    """
    @notice The pool's net delta in one series (options and futures), WAD lots.
    """
    d: int256 = 0
    f: uint256 = 0
    lo: uint256 = 0
    hi: uint256 = 0
    d, f, lo, hi = staticcall pricer.series_delta(registry.address, clearinghouse.address, self, expiry, pool_params.vol_multiplier, False)
    return d


# ---------------------------------------------------------------- trading

@external
@nonreentrant
def buy(expiry: uint256, kind: uint8, strike: uint256, qty: uint256, max_premium: uint256):
    """
    @notice Buys `qty` lots of an option from the pool, paying at most `max_premium` in total
            (fee included, as `quote` returns it) from the caller's vault balance. Reads the
            registry's `trading_state` once, which runs a due 08:00 UTC update first. Refused
            ("pool: ..."): paused, bad kind, zero quantity, quantity above depth, series not
            live, registry not current (a catch-up of missed days still pending: call the
            registry's `daily_update` again), within `cutoff` of expiry, fixing window, strike not
            active, stale index, depth, reduce only, utilisation, slippage, blocked (the
            pool's own account cannot take the trade: leg or series limit, position cap,
            collateral).
    """
    st: ISeriesRegistry.TradingState = extcall registry.trading_state(expiry, kind, strike)
    t: Trade = self._trade(expiry, kind, strike, qty, True, st)
    assert t.total <= max_premium, "pool: slippage"
    self._book(expiry, kind, strike, True, t.price, qty, st)
    log Traded(trader=msg.sender, expiry=expiry, kind=kind, strike=strike, trader_is_buy=True, qty=qty, price=t.price, model=t.model)


@external
@nonreentrant
def sell(expiry: uint256, kind: uint8, strike: uint256, qty: uint256, min_premium: uint256):
    """
    @notice Sells `qty` lots of an option to the pool, receiving at least `min_premium` in total
            (after the fee, as `quote` returns it). Refusals as `buy`.
    """
    st: ISeriesRegistry.TradingState = extcall registry.trading_state(expiry, kind, strike)
    t: Trade = self._trade(expiry, kind, strike, qty, False, st)
    assert t.total >= min_premium, "pool: slippage"
    self._book(expiry, kind, strike, False, t.price, qty, st)
    log Traded(trader=msg.sender, expiry=expiry, kind=kind, strike=strike, trader_is_buy=False, qty=qty, price=t.price, model=t.model)


@external
@nonreentrant
def hedge(expiry: uint256):
    """
    @notice Permissionless: when the pool's net delta in `expiry` exceeds `hedge_band` lots,
            sends an IOC futures order on the market's book for the rounded difference, limit
            F (1 ± max_slippage) on tick inside [L, U]. Works while paused.
    """
    assert staticcall registry.is_live(expiry), "pool: series not live"
    d: int256 = 0
    f: uint256 = 0
    lo: uint256 = 0
    hi: uint256 = 0
    d, f, lo, hi = staticcall pricer.series_delta(registry.address, clearinghouse.address, self, expiry, pool_params.vol_multiplier, True)
    size: uint256 = convert(abs(d), uint256)
    assert size > pool_params.hedge_band * WAD, "pool: within band"
    lots: uint256 = (size + WAD // 2) // WAD    # nearest lot, halves up
    is_buy: bool = d < 0
    tick: uint256 = market_tick
    limit: uint256 = 0
    if is_buy:
        limit = math._ceil_div(math._mul_div(f, BPS + pool_params.max_slippage, BPS, True), tick) * tick
        limit = min(limit, hi)
    else:
        limit = f * (BPS - pool_params.max_slippage) // BPS
        limit = max(limit - limit % tick, lo)
    extcall book.place_order(expiry, c.FUTURE, 0, is_buy, limit, lots, c.IOC, MAX_HEDGE_FILLS)
    log Hedged(expiry=expiry, is_buy=is_buy, qty=lots, limit=limit, delta_before=d)


@external
@nonreentrant
def claim(expiry: uint256):
    """
    @notice Claims the pool's settled position in `expiry` (permissionless; keepers call it).
    """
    extcall clearinghouse.claim(self, registry.address, expiry)


# ---------------------------------------------------------------- ERC-4626 (LP shares)

@view
@internal
def _to_shares(assets: uint256, total_assets: uint256, roundup: bool) -> uint256:
    return math._mul_div(assets, erc20.totalSupply + VIRTUAL_SHARES, total_assets + 1, roundup)


@view
@internal
def _to_assets(shares: uint256, total_assets: uint256, roundup: bool) -> uint256:
    return math._mul_div(shares, total_assets + 1, erc20.totalSupply + VIRTUAL_SHARES, roundup)


@view
@internal
def _deposit_shares(assets: uint256, ta: uint256) -> uint256:
    """
    @dev Shares for `assets` paid in: entry fee (bps of assets, UP) kept, shares rounded DOWN.
    """
    return self._to_shares(assets - math._ceil_div(assets * pool_params.lp_fee_bps, BPS), ta, False)


@view
@internal
def _mint_assets(shares: uint256, ta: uint256) -> uint256:
    """
    @dev Assets to pay in for `shares`: their value rounded UP, grossed up by the fee (UP).
    """
    return math._ceil_div(self._to_assets(shares, ta, True) * BPS, BPS - pool_params.lp_fee_bps)


@view
@internal
def _withdraw_shares(assets: uint256, ta: uint256) -> uint256:
    """
    @dev Shares to burn for `assets` paid out: grossed up by the exit fee (UP), shares UP.
    """
    return self._to_shares(math._ceil_div(assets * BPS, BPS - pool_params.lp_fee_bps), ta, True)


@view
@internal
def _redeem_assets(shares: uint256, ta: uint256) -> uint256:
    """
    @dev Assets paid out for `shares`: their value rounded DOWN, less the exit fee (UP).
    """
    gross: uint256 = self._to_assets(shares, ta, False)
    return gross - math._ceil_div(gross * pool_params.lp_fee_bps, BPS)


@view
@internal
def _exit_room() -> uint256:
    """
    @dev Free collateral less EXIT_MARGIN_BPS of it: what maxWithdraw/maxRedeem promise, so a
         redemption sent on their answer still fits a block later, when marks have moved by
         a second of time decay (they only under-state, as ERC-4626 allows).
    """
    free: uint256 = staticcall vault.free_collateral(self)
    return free - math._ceil_div(free * EXIT_MARGIN_BPS, BPS)


@view
@internal
def _max_redeem(owner: address, ta: uint256) -> uint256:
    bal: uint256 = erc20.balanceOf[owner]
    free: uint256 = self._exit_room()
    if self._redeem_assets(bal, ta) <= free:
        return bal
    # shares whose gross value, less the fee, fits in the free collateral (both DOWN)
    return min(self._to_shares(free * BPS // (BPS - pool_params.lp_fee_bps), ta, False), bal)


@internal
def _enter(assets: uint256, shares: uint256, receiver: address):
    assert assets > 0 and shares > 0, "pool: zero amount"
    assert receiver != empty(address), "pool: zero address"
    assert extcall IERC20(asset).transferFrom(msg.sender, self, assets, default_return_value=True), "pool: transfer failed"
    extcall vault.deposit(assets, skip_contract_check=True)     # the Clearinghouse's vault: a contract
    erc20._mint(receiver, shares)
    log Deposit(sender=msg.sender, owner=receiver, assets=assets, shares=shares)


@internal
def _exit(assets: uint256, shares: uint256, receiver: address, owner: address):
    assert assets > 0 and shares > 0, "pool: zero amount"
    assert receiver != empty(address), "pool: zero address"
    assert assets <= staticcall vault.free_collateral(self), "pool: exceeds free collateral"
    if msg.sender != owner:
        erc20._spend_allowance(owner, msg.sender, shares)
    erc20._burn(owner, shares)
    extcall vault.withdraw_to(receiver, assets, skip_contract_check=True)
    log Withdraw(sender=msg.sender, receiver=receiver, owner=owner, assets=assets, shares=shares)


@view
@external
def totalAssets() -> uint256:
    """
    @notice Vault balance + marks of open positions + unclaimed settled P&L (raw units).
    """
    return self._total_assets()


@view
@external
def convertToShares(assets: uint256) -> uint256:
    return self._to_shares(assets, self._total_assets(), False)


@view
@external
def convertToAssets(shares: uint256) -> uint256:
    return self._to_assets(shares, self._total_assets(), False)


@view
@external
def maxDeposit(receiver: address) -> uint256:
    if pausable.paused:
        return 0
    return max_value(uint256)


@view
@external
def maxMint(receiver: address) -> uint256:
    if pausable.paused:
        return 0
    return max_value(uint256)


@view
@external
def maxWithdraw(owner: address) -> uint256:
    """
    @notice What `owner` can withdraw now: its shares' value less the exit fee, at most the
            pool's free collateral (less 1 bp of it, for the next block's marks).
    """
    ta: uint256 = self._total_assets()
    return min(self._redeem_assets(erc20.balanceOf[owner], ta), self._exit_room())


@view
@external
def maxRedeem(owner: address) -> uint256:
    """
    @notice Shares `owner` can redeem now (limited by the pool's free collateral).
    """
    return self._max_redeem(owner, self._total_assets())


@view
@external
def previewDeposit(assets: uint256) -> uint256:
    return self._deposit_shares(assets, self._total_assets())


@view
@external
def previewMint(shares: uint256) -> uint256:
    return self._mint_assets(shares, self._total_assets())


@view
@external
def previewWithdraw(assets: uint256) -> uint256:
    return self._withdraw_shares(assets, self._total_assets())


@view
@external
def previewRedeem(shares: uint256) -> uint256:
    return self._redeem_assets(shares, self._total_assets())


@external
@nonreentrant
def deposit(assets: uint256, receiver: address) -> uint256:
    """
    @notice Deposits `assets` of the settlement token (ERC-20 approval to the pool) for shares.
            Stopped while paused.
    """
    assert not pausable.paused, "pool: paused"
    shares: uint256 = self._deposit_shares(assets, self._total_assets())
    self._enter(assets, shares, receiver)
    return shares


@external
@nonreentrant
def mint(shares: uint256, receiver: address) -> uint256:
    """
    @notice Mints exactly `shares` for the assets `previewMint` gives. Stopped while paused.
    """
    assert not pausable.paused, "pool: paused"
    assets: uint256 = self._mint_assets(shares, self._total_assets())
    self._enter(assets, shares, receiver)
    return assets


@external
@nonreentrant
def withdraw(assets: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Pays `assets` to `receiver` burning `owner`'s shares (fee included). Never paused;
            limited to the pool's free collateral.
    """
    shares: uint256 = self._withdraw_shares(assets, self._total_assets())
    self._exit(assets, shares, receiver, owner)
    return shares


@external
@nonreentrant
def redeem(shares: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Burns `shares` of `owner` and pays their value less the exit fee to `receiver`.
            Never paused; limited to the pool's free collateral.
    """
    assets: uint256 = self._redeem_assets(shares, self._total_assets())
    self._exit(assets, shares, receiver, owner)
    return assets
