"""Every constant the Python side shares with the contracts, in one module.

The values are read from the contract sources (``NAME: constant(type) = expr`` and
``NAME: public(constant(type)) = expr`` lines), so a contract change cannot leave a stale copy
here: kinds and order flags (contracts/modules/constants.vy), calendar offsets, hard caps, the
order book's cancel reasons and page sizes (contracts/OrderBook.vy, whose cancel codes are private
constants), the clearinghouse's limits and default caps, the registry's fixing guards.
``tests/unit/test_layout.py`` also checks the public ones against a deployed system's getters.

Next to them: the EVM's own (``MAX_UINT``, ``ZERO_ADDRESS``) and ``HOUR``. The last part holds
the deployment defaults that both the reference models and ``rangebound.ops.deploy`` use (k, m,
lambda, the daily volatility clamp): parameters, not contract constants, but defined once.

The package runs from its repository (``pip install -e .``, what ``make install`` does): the
contract sources sit next to it.
"""

from __future__ import annotations

import ast
import operator
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]          # the repository
CONTRACTS = ROOT / "contracts"

# integer constants only (`uint256`, `int128`, `uint8`, ...): a `bytes4` method id is not one
_LINE = re.compile(r"^(\w+):\s*(?:public\()?constant\(u?int\d*\)\)?\s*=\s*([^#\n]+)", re.MULTILINE)
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.FloorDiv: operator.floordiv}


def _eval(node: ast.AST, known: dict[str, int]) -> int:
    """An integer constant expression of a Vyper source (literals, + - * ** << //, names of
    constants read before it, `module.NAME`, max_value(uint256))."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left, known), _eval(node.right, known))
    if isinstance(node, ast.Name) and node.id in known:
        return known[node.id]
    if isinstance(node, ast.Attribute) and node.attr in known:
        return known[node.attr]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, known)
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "max_value":
        bits = int(re.sub(r"\D", "", ast.unparse(node.args[0])))
        return 2**bits - 1
    raise ValueError(f"not a constant expression: {ast.unparse(node)}")


def read_constants(*paths: str) -> dict[str, int]:
    """Every integer constant of the named sources (relative to contracts/), in order."""
    known: dict[str, int] = {}
    for rel in paths:
        text = (CONTRACTS / rel).read_text()
        for name, expr in _LINE.findall(text):
            known[name] = _eval(ast.parse(expr.strip(), mode="eval").body, known)
    return known


_C = read_constants("modules/constants.vy", "modules/calendar.vy", "modules/range_math.vy",
                    "modules/price_levels.vy", "OrderBook.vy", "Clearinghouse.vy",
                    "SeriesRegistry.vy", "oracles/ReporterFeed.vy", "governance/Timelock.vy")

# ------------------------------------------------------------------ EVM
MAX_UINT: int = 2**256 - 1                          # uint256's largest value (unlimited approval)
ZERO_ADDRESS: str = "0x" + "00" * 20

# ------------------------------------------------------------------ units and calendar
WAD: int = _C["WAD"]
BPS: int = _C["BPS"]
DAY: int = _C["DAY"]
HOUR: int = DAY // 24                              # s (the contracts count in days)
WEEK: int = _C["WEEK"]
EXPIRY_OFFSET: int = _C["EXPIRY_OFFSET"]           # 08:00 UTC
WINDOW_START: int = _C["WINDOW_START"]             # 07:55:00 UTC
WINDOW_END: int = _C["WINDOW_END"]                 # 07:59:59 UTC, inclusive
WEEKLY_LIFE: int = _C["WEEKLY_LIFE"]
MONTHLY_LIFE: int = _C["MONTHLY_LIFE"]
LIVE_SERIES: int = _C["LIVE_SERIES"]               # live expiries per market

# ------------------------------------------------------------------ instruments and order flags
FUTURE: int = _C["FUTURE"]
CALL: int = _C["CALL"]
PUT: int = _C["PUT"]
KINDS: dict[int, str] = {FUTURE: "future", CALL: "call", PUT: "put"}
POST_ONLY: int = _C["POST_ONLY"]
IOC: int = _C["IOC"]

# ------------------------------------------------------------------ hard caps
MAX_STRIKES: int = _C["MAX_STRIKES"]
MIN_ACTIVE_STRIKES: int = _C["MIN_ACTIVE_STRIKES"]
MAX_UNIFORM_STRIKES: int = _C["MAX_UNIFORM_STRIKES"]
EXP_MARGIN_DIVISOR: int = _C["EXP_MARGIN_DIVISOR"]
MAX_LEGS: int = _C["MAX_LEGS"]                     # option legs per (account, series)
MAX_CATCH_UP_DAYS: int = _C["MAX_CATCH_UP_DAYS"]   # days one daily_update call replays
MAX_OPEN_SERIES: int = _C["MAX_OPEN_SERIES"]       # open (account, series) pairs per account
MAX_FEE_BPS: int = _C["MAX_FEE_BPS"]
MAX_FILLS: int = _C["MAX_FILLS"]                   # resting orders one taker call may touch
MAX_QUOTES: int = _C["MAX_QUOTES"]                 # post-only orders per place_quotes call
MAX_SWEEP: int = _C["MAX_SWEEP"]                   # order ids per sweep_dead_orders call
MAX_DEPTH: int = _C["MAX_DEPTH"]                   # price levels per depth page
MAX_QUEUE: int = _C["MAX_QUEUE"]                   # order ids per queue page
MAX_PRICE_INDEX: int = _C["MAX_PRICE_INDEX"]
MAX_REPORTERS: int = _C["MAX_REPORTERS"]         # reporters per feed
MAX_ANSWER: int = _C["MAX_ANSWER"]               # feed units, the largest answer a feed takes
MAX_HEARTBEAT: int = _C["MAX_HEARTBEAT"]         # s: oldest feed answer a market may accept
MIN_DEPEG_THRESHOLD: int = _C["MIN_DEPEG_THRESHOLD"]   # WAD USD per USD1
MIN_TIMELOCK_DELAY: int = _C["MIN_DELAY"]
DEFAULT_OI_CAP: int = _C["DEFAULT_OI_CAP"]             # lots per (series, kind) at registration
DEFAULT_POSITION_CAP: int = _C["DEFAULT_POSITION_CAP"]  # lots per (account, instrument)
MAX_GUARD_BPS: int = _C["MAX_GUARD_BPS"]               # market-mode guard of a daily fixing
EXPIRY_GUARD_BPS: int = _C["EXPIRY_GUARD_BPS"]         # market-mode guard of an expiry fixing

# ------------------------------------------------------------------ fixing sources (the `source` of a FixingSet event)
SOURCE_VWAP: int = _C["SOURCE_VWAP"]               # market mode: the window VWAP, guarded
SOURCE_INDEX: int = _C["SOURCE_INDEX"]             # market mode: thin window, the fresh index
SOURCE_INDEX_MODE: int = _C["SOURCE_INDEX_MODE"]   # index mode (the default): the fresh index

# ------------------------------------------------------------------ OrderBook cancel reasons
CANCEL_OWNER: int = _C["CANCEL_OWNER"]
CANCEL_IOC: int = _C["CANCEL_IOC"]
CANCEL_SELF_TRADE: int = _C["CANCEL_SELF_TRADE"]
CANCEL_STALE: int = _C["CANCEL_STALE"]
CANCEL_DEAD: int = _C["CANCEL_DEAD"]
CANCEL_MAX_FILLS: int = _C["CANCEL_MAX_FILLS"]
CANCEL_REDUCE_ONLY: int = _C["CANCEL_REDUCE_ONLY"]
CANCEL_LEGS: int = _C["CANCEL_LEGS"]
CANCEL_SERIES: int = _C["CANCEL_SERIES"]
CANCEL_POSITION_CAP: int = _C["CANCEL_POSITION_CAP"]
CANCEL_OI_CAP: int = _C["CANCEL_OI_CAP"]
CANCEL_COLLATERAL: int = _C["CANCEL_COLLATERAL"]
CANCEL_REASONS: dict[int, str] = {
    code: name.removeprefix("CANCEL_").lower() for name, code in _C.items()
    if name.startswith("CANCEL_")
}

# ------------------------------------------------------------------ fill records and listed lots (docs/architecture.md §16)
RECORD_FILL: int = _C["RECORD_FILL"]               # `MakerFill.release`: the book may record this fill
FILL_TAG_SHIFT: int = _C["FILL_TAG_SHIFT"]         # `MakerFill.release`: the fill's tag
LISTED_LOTS_SHIFT: int = _C["LISTED_LOTS_SHIFT"]   # `MakerFill.release`: an unlisted maker's listed lots
COVERED_FILL: int = _C["COVERED_FILL"]             # `MakerFill.release`: a listed order's fill
UNLISTED: int = _C["UNLISTED"]                     # `Clearinghouse.reserve`'s answer: do not list
BLOCKED_POSITION_CAP: int = _C["BLOCKED_POSITION_CAP"]   # `MakerBlocked(At)` code of the maker's position cap
INDEX_SLOTS: int = read_constants("modules/order_store.vy")["INDEX_SLOTS"]   # listed futures orders per (owner, expiry)

# ------------------------------------------------------------------ OptionsPool (ERC-4626 shares)
_P = read_constants("OptionsPool.vy")
POOL_VIRTUAL_SHARES: int = _P["VIRTUAL_SHARES"]   # share units of the empty pool's virtual holder (per asset unit + 1)

# ------------------------------------------------------------------ deployment defaults
# Parameters of `deploy_system` that the reference models also default to (one definition).
K = 3.5                    # range width parameters of ranges.alpha
M = 1.5
LAMBDA = 0.94              # EWMA decay of the daily variance
DAILY_VOL_MIN = 0.005      # daily volatility floor: variance clamp V_MIN = DAILY_VOL_MIN**2
DAILY_VOL_MAX = 0.15       # daily volatility cap: variance clamp V_MAX = DAILY_VOL_MAX**2
