# pragma version ~=0.4.3
"""
@title Rangebound options pool parameters
@notice The owner-set, bounded parameters of an OptionsPool (docs/architecture.md §15), its guardian
        setter and pause: one setter per parameter, each checking its bounds and emitting
        its own event (`VolMultiplierSet`, ..., `LpFeeSet`). Initialised and exported by OptionsPool. The guardian itself
        (storage, `GuardianSet`, who may pause) is contracts/modules/guardian.vy, shared with
        the vault and the book; the pool's setter also refuses an empty guardian.
@custom:security Setters are owner-only (the pool's two-step owner); pause/unpause are the
        guardian's or the owner's. Pausing never blocks LP exits (the pool checks it only on
        deposits, mints and trades).
"""

from snekmate.auth import ownable
from snekmate.utils import pausable

from contracts.modules import guardian as gd

uses: ownable
uses: pausable
uses: gd

WAD: constant(uint256) = 10**18

# Emitted by `set_vol_multiplier` with the new value.
event VolMultiplierSet:
    vol_multiplier: uint256          # WAD

# Emitted by `set_beta` with the new value.
event BetaSet:
    beta: uint256                    # WAD

# Emitted by `set_depth` with the new value.
event DepthSet:
    depth: uint256                   # lots

# Emitted by `set_base_spread` with the new value.
event BaseSpreadSet:
    base_spread: uint256             # bps

# Emitted by `set_util_spread` with the new value.
event UtilSpreadSet:
    util_spread: uint256             # bps at 100 % utilisation

# Emitted by `set_max_utilisation` with the new value.
event MaxUtilisationSet:
    max_utilisation: uint256         # WAD

# Emitted by `set_cutoff` with the new value.
event CutoffSet:
    cutoff: uint256                  # s before expiry

# Emitted by `set_hedge_band` with the new value.
event HedgeBandSet:
    hedge_band: uint256              # lots of |delta|

# Emitted by `set_max_slippage` with the new value.
event MaxSlippageSet:
    max_slippage: uint256            # bps

# Emitted by `set_fee` with the new value.
event FeeSet:
    fee_bps: uint256                 # bps of the premium

# Emitted by `set_lp_fee` with the new value.
event LpFeeSet:
    lp_fee_bps: uint256              # bps, entry/exit


# parameter bounds
MIN_VOL_MULT: constant(uint256) = 10**17         # WAD
MAX_VOL_MULT: constant(uint256) = 10 * 10**18    # WAD
MAX_BETA: constant(uint256) = 10**18             # WAD: the price stays >= 0 along any path
MAX_DEPTH: constant(uint256) = 4_000_000         # lots (< 2**22: its lane of `trade`)
MAX_BASE_SPREAD: constant(uint256) = 1_000       # bps
MAX_UTIL_SPREAD: constant(uint256) = 5_000       # bps at 100 % utilisation
MIN_MAX_UTIL: constant(uint256) = 10**17         # WAD
MIN_CUTOFF: constant(uint256) = 600              # s
MAX_CUTOFF: constant(uint256) = 86_400           # s
MAX_HEDGE_BAND: constant(uint256) = 10**9        # lots
MAX_SLIPPAGE: constant(uint256) = 2_000          # bps
MAX_FEE: constant(uint256) = 500                 # bps, trade fee
MAX_LP_FEE: constant(uint256) = 100              # bps, entry/exit fee
# lanes of `trade` (bit offsets)
BETA_SHIFT: constant(uint256) = 64
MAX_UTIL_SHIFT: constant(uint256) = 124
DEPTH_SHIFT: constant(uint256) = 184
CUTOFF_SHIFT: constant(uint256) = 206
BASE_SPREAD_SHIFT: constant(uint256) = 223
UTIL_SPREAD_SHIFT: constant(uint256) = 233
FEE_SHIFT: constant(uint256) = 246
PAUSED_SHIFT: constant(uint256) = 255

vol_multiplier: public(uint256)                  # WAD, w in s = F sqrt(w v tau / 2)
beta: public(uint256)                            # WAD, inventory slope
depth: public(uint256)                           # lots, max |q| per instrument
base_spread: public(uint256)                     # bps
util_spread: public(uint256)                     # bps added at 100 % utilisation (gamma)
max_utilisation: public(uint256)                 # WAD, requirement / cash above which risk-raising trades revert
cutoff: public(uint256)                          # s before expiry when quoting stops
hedge_band: public(uint256)                      # lots of |delta| tolerated before `hedge` trades
max_slippage: public(uint256)                    # bps around F for a hedge's limit price
fee_bps: public(uint256)                         # bps, the pool's trade fee (in the premium)
lp_fee_bps: public(uint256)                      # bps, entry/exit fee (stays in the pool)
# The trading parameters and the pause flag again, packed in one word so a quote reads
#      one slot, not nine (rewritten by every setter, pause and unpause; each value's bound
#      keeps it inside its lane): vol_multiplier (bits 0..63, <= 1e19 < 2**64) | beta (64..123,
#      <= 1e18 < 2**60) | max_utilisation (124..183, <= 1e18) | depth (184..205, < 2**22) |
#      cutoff (206..222, <= 86,400 < 2**17) | base_spread (223..232, <= 1,000 < 2**10) |
#      util_spread (233..245, <= 5,000 < 2**13) | fee_bps (246..254, <= 500 < 2**9) | paused (255)
trade: uint256


@deploy
def __init__():
    """
    @notice Defaults: w 1, beta 0.1, depth 1,000 lots, spreads 50 + 200 bps, max utilisation
            0.8, cutoff 1 h, hedge band 1 lot, slippage 100 bps, fee 10 bps, LP fee 10 bps.
    """
    self.vol_multiplier = WAD
    self.beta = 10**17
    self.depth = 1_000
    self.base_spread = 50
    self.util_spread = 200
    self.max_utilisation = 8 * 10**17
    self.cutoff = 3_600
    self.hedge_band = 1
    self.max_slippage = 100
    self.fee_bps = 10
    self.lp_fee_bps = 10
    self._pack()


@internal
def _pack():
    """
    @dev Rewrites `trade` from the public values (each bounded inside its lane) and the
         pause flag.
    """
    self.trade = (self.vol_multiplier | self.beta << BETA_SHIFT | self.max_utilisation << MAX_UTIL_SHIFT
                  | self.depth << DEPTH_SHIFT | self.cutoff << CUTOFF_SHIFT | self.base_spread << BASE_SPREAD_SHIFT
                  | self.util_spread << UTIL_SPREAD_SHIFT | self.fee_bps << FEE_SHIFT | convert(pausable.paused, uint256) << PAUSED_SHIFT)


# ---------------------------------------------------------------- setters

@internal
def _check(new_value: uint256, lo: uint256, hi: uint256):
    # every setter: owner only, `new_value` within [lo, hi]
    ownable._check_owner()
    assert new_value >= lo and new_value <= hi, "pool: out of bounds"


@external
def set_vol_multiplier(new_value: uint256):
    """
    @notice Volatility multiplier w (WAD, 0.1..10). Owner only.
    """
    self._check(new_value, MIN_VOL_MULT, MAX_VOL_MULT)
    self.vol_multiplier = new_value
    log VolMultiplierSet(vol_multiplier=new_value)
    self._pack()


@external
def set_beta(new_value: uint256):
    """
    @notice Inventory slope beta (WAD, 0..1). Owner only.
    """
    self._check(new_value, 0, MAX_BETA)
    self.beta = new_value
    log BetaSet(beta=new_value)
    self._pack()


@external
def set_depth(new_value: uint256):
    """
    @notice Depth: max |net lots| per instrument (1..4,000,000). Owner only.
    """
    self._check(new_value, 1, MAX_DEPTH)
    self.depth = new_value
    log DepthSet(depth=new_value)
    self._pack()


@external
def set_base_spread(new_value: uint256):
    """
    @notice Base spread (bps, 0..1000). Owner only.
    """
    self._check(new_value, 0, MAX_BASE_SPREAD)
    self.base_spread = new_value
    log BaseSpreadSet(base_spread=new_value)
    self._pack()


@external
def set_util_spread(new_value: uint256):
    """
    @notice Utilisation spread gamma (bps added at 100 % utilisation, 0..5000). Owner only.
    """
    self._check(new_value, 0, MAX_UTIL_SPREAD)
    self.util_spread = new_value
    log UtilSpreadSet(util_spread=new_value)
    self._pack()


@external
def set_max_utilisation(new_value: uint256):
    """
    @notice Max utilisation (WAD, 0.1..1) above which risk-raising trades revert. Owner only.
    """
    self._check(new_value, MIN_MAX_UTIL, WAD)
    self.max_utilisation = new_value
    log MaxUtilisationSet(max_utilisation=new_value)
    self._pack()


@external
def set_cutoff(new_value: uint256):
    """
    @notice Seconds before expiry when quoting stops (600..86400). Owner only.
    """
    self._check(new_value, MIN_CUTOFF, MAX_CUTOFF)
    self.cutoff = new_value
    log CutoffSet(cutoff=new_value)
    self._pack()


@external
def set_hedge_band(new_value: uint256):
    """
    @notice Lots of |delta| tolerated before `hedge` trades (0..1e9). Owner only.
    """
    self._check(new_value, 0, MAX_HEDGE_BAND)
    self.hedge_band = new_value
    log HedgeBandSet(hedge_band=new_value)


@external
def set_max_slippage(new_value: uint256):
    """
    @notice Hedge limit distance from F (bps, 1..2000). Owner only.
    """
    self._check(new_value, 1, MAX_SLIPPAGE)
    self.max_slippage = new_value
    log MaxSlippageSet(max_slippage=new_value)


@external
def set_fee(new_value: uint256):
    """
    @notice The pool's trade fee (bps of the premium, 0..500). Owner only.
    """
    self._check(new_value, 0, MAX_FEE)
    self.fee_bps = new_value
    log FeeSet(fee_bps=new_value)
    self._pack()


@external
def set_lp_fee(new_value: uint256):
    """
    @notice Entry/exit fee (bps, 0..100), kept by the pool. Owner only.
    """
    self._check(new_value, 0, MAX_LP_FEE)
    self.lp_fee_bps = new_value
    log LpFeeSet(lp_fee_bps=new_value)


@external
def set_guardian(guardian_: address):
    """
    @notice Sets the guardian (may pause). Owner only.
    """
    ownable._check_owner()
    assert guardian_ != empty(address), "pool: zero address"
    gd._set_guardian(guardian_)


@external
def pause():
    """
    @notice Stops deposits, mints and trades (LP exits, hedges and claims continue).
            Guardian or owner.
    """
    assert gd._is_pauser(), "pool: not guardian"
    pausable._pause()
    self._pack()


@external
def unpause():
    """
    @notice Resumes the pool. Guardian or owner.
    """
    assert gd._is_pauser(), "pool: not guardian"
    pausable._unpause()
    self._pack()
