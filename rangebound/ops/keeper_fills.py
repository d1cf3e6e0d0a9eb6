"""The keeper's fold and claim steps: the work that fills leave behind, found from the
Clearinghouse's `Fill`, `PositionOpened` and `Claimed` logs and confirmed with views when it is
taken (`rangebound.ops.keeper.Keeper` inherits them from `FillSteps`).

A book fill need not write the maker's position (docs/architecture.md §16): a futures order
filled whole stays in its book as a fill record (`OrderBook.unfolded`: its reserve held, its
maker fee not moved, the series off the maker's open list and without a PositionOpened log), a
partial futures fill or a book option the maker sold leaves a reserve share and a fee deferred
(`Clearinghouse.deferred`). The fold step folds both once an account's fees reach the keeper's
`fold_min_usd` (`OrderBook.fold` per series with records, `recalculate` for deferred fills
elsewhere); the claim step claims every settled series an account holds, as a position or only
as fill records (the claim folds them first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from rangebound.constants import FUTURE
from rangebound.ops.deploy import Market
from rangebound.ops.passes import PassReport, _date, _short, step_progress

Key = tuple[str, str, int]              # (account, registry address, expiry)


@dataclass(frozen=True)
class FoldDue:
    """One account's maker bookkeeping worth folding (`Keeper.fold_due`): `usd` its maker fees
    still to move, in USD1 (deferred fills and fill records of unsettled series); `records` the
    (market, expiry, USD1 of fees) of each series with fill records, one `OrderBook.fold` each
    (which also folds that series' deferred fills); `recalculate` whether deferred fills are
    left in other series (one `recalculate` folds them all)."""

    account: str
    usd: float
    records: tuple[tuple[Market, int, float], ...]
    recalculate: bool


class FillSteps:
    """Steps 5 (fold) and 6 (claim) of the keeper. The attributes are the keeper's, set in its
    constructor; so are the plumbing methods declared below (its log scans, transaction sender,
    step runner and unit conversion)."""

    clearinghouse: Any
    fold_min_usd: float | None
    batch: int
    console: Console
    quiet: bool
    _by_registry: dict[str, Market]
    _makers: set[Key]                    # fold candidates: makers of Fill logs
    _recorded: set[Key]                  # claim candidates: makers of futures Fill logs
    _opened: set[Key]                    # PositionOpened logs not yet matched by a Claimed
    _claimed: set[Key]

    _scan: Callable[[Any, str], list[Any]]
    _begin: Callable[[], PassReport]
    _send: Callable[..., Any]
    _run_step: Callable[[str, Sequence[Any], Callable[[Any], None]], None]
    _usd: Callable[[Market, int], float]

    # ------------------------------------------------------------------ 5. fold

    def _scan_fills(self) -> None:
        """New `Fill` logs: each maker is a fold candidate (deferred bookkeeping or fill records
        in that series, when the fold step runs) and, for a future, a claim candidate (a series
        it may hold only as fill records, off its open list until a fold)."""
        if self.clearinghouse is None:
            return
        for log in self._scan(self.clearinghouse, "Fill"):
            key = (str(log.maker), str(log.registry), int(log.expiry))
            if self.fold_min_usd is not None:
                self._makers.add(key)
            if int(log.kind) == FUTURE:
                self._recorded.add(key)

    def fold_due(self) -> list[FoldDue]:
        """Every account whose unfolded maker bookkeeping in unsettled series reaches
        `fold_min_usd` of maker fees, most owed first: deferred fills (`Clearinghouse.deferred`)
        and fill records (`OrderBook.unfolded`), their fees summed per account. Candidates come
        from `Fill` logs and are forgotten once nothing is left to fold; a settled series is
        left to its claim, which folds both. In a reduce-only market every account with records
        is due, whatever its fees: the book cancels the orders of a maker holding records there
        (docs/architecture.md §16)."""
        ch = self.clearinghouse
        if ch is None or self.fold_min_usd is None:
            return []
        self._scan_fills()
        owed: dict[str, float] = defaultdict(float)
        records: dict[str, list[tuple[Market, int, float]]] = defaultdict(list)
        deferred: set[str] = set()          # accounts with deferred fills in a series without records
        urgent: set[str] = set()            # records in a reduce-only market: the walk cancels their makers' orders
        settled: dict[tuple[str, int], bool] = {}
        for key in sorted(self._makers):
            acct, reg, e = key
            m = self._by_registry.get(reg)
            if m is None or self._settled(settled, m, e):
                self._makers.discard(key)    # not ours, or the claim's to fold
                continue
            share, fee = (int(x) for x in ch.deferred(acct, reg, e))
            r = m.book.unfolded(acct, e)
            if share == 0 and fee == 0 and int(r.reserve) == 0:
                self._makers.discard(key)    # nothing deferred, no records
                continue
            owed[acct] += self._usd(m, fee + int(r.fee))
            if int(r.reserve) != 0:          # its fold folds the series' deferred part too
                records[acct].append((m, e, self._usd(m, fee + int(r.fee))))
                if m.registry.reduce_only():
                    urgent.add(acct)
            else:
                deferred.add(acct)
        due = [
            FoldDue(a, usd, tuple(records[a]), a in deferred)
            for a, usd in owed.items() if usd >= self.fold_min_usd or a in urgent
        ]
        return sorted(due, key=lambda d: (-d.usd, d.account))

    def fold_makers(self) -> PassReport:
        """For every account `fold_due` lists, `OrderBook.fold(account, expiry)` for each series
        with fill records, then `recalculate(account)` if deferred fills are left elsewhere: its
        maker fees reach the fee account and the reserve held for them comes back
        (docs/architecture.md, "The keeper")."""
        rep = self._begin()
        ch = self.clearinghouse

        def work(item: FoldDue) -> None:
            acct, sent = item.account, False
            for m, e, usd in item.records:
                label = f"{m.name} {_date(e)} {_short(acct)} records {usd:,.2f} fees"
                sent |= bool(self._send(rep, "fold", label, m.book.fold, acct, e))
            if item.recalculate:
                label = f"{_short(acct)} deferred, {item.usd:,.2f} fees in all"
                sent |= bool(self._send(rep, "fold", label, ch.recalculate, acct))
            if sent:
                rep.folded += 1

        self._run_step("fold", self.fold_due(), work)
        return rep

    # ------------------------------------------------------------------ 6. claim

    def unclaimed(self) -> list[tuple[str, Market, int]]:
        """(account, market, expiry) that may need a claim in a settled series: open positions
        from PositionOpened logs minus Claimed logs, and makers of futures `Fill` logs that may
        hold the series only as fill records (no PositionOpened until a fold). `claim_all`
        confirms each with `open_series` (when available) or `OrderBook.unfolded`."""
        ch = self.clearinghouse
        if ch is None:
            return []
        self._scan_fills()
        for log in self._scan(ch, "PositionOpened"):
            self._opened.add((str(log.account), str(log.registry), int(log.expiry)))
        for log in self._scan(ch, "Claimed"):
            self._claimed.add((str(log.account), str(log.registry), int(log.expiry)))
        self._recorded -= self._opened | self._claimed  # their claim (or the one done) folds them
        done = self._opened & self._claimed       # a claimed position never reopens: forget it
        self._opened -= done
        self._claimed -= done
        settled: dict[tuple[str, int], bool] = {}
        todo = []
        keys = (self._opened - self._claimed) | self._recorded
        for acct, reg, e in sorted(keys, key=lambda k: (k[2], k[1], k[0])):
            m = self._by_registry.get(reg)
            if m is None:
                self._recorded.discard((acct, reg, e))
            elif self._settled(settled, m, e):
                todo.append((acct, m, e))
        return todo

    @staticmethod
    def _settled(cache: dict[tuple[str, int], bool], market: Market, expiry: int) -> bool:
        """Whether `market`'s series `expiry` is settled, read once per `cache` (one pass)."""
        key = (str(market.registry.address), expiry)
        if key not in cache:
            cache[key] = int(market.registry.settlement_price(expiry)) != 0
        return cache[key]

    def _still_open(self, accounts: Iterable[str]) -> dict[str, set[tuple[str, int]]] | None:
        ch = self.clearinghouse
        if not hasattr(ch, "open_series"):
            return None
        return {
            a: {(str(s.registry), int(s.expiry)) for s in ch.open_series(a)} for a in set(accounts)
        }

    def _holds_records(self, market: Market, account: str, expiry: int) -> bool:
        """Whether `account` still has fill records in the series (its claim would fold them)."""
        return int(market.book.unfolded(account, expiry).reserve) != 0

    def _claim_one(self, rep: PassReport, item: tuple[str, Market, int],
                   open_now: dict[str, set[tuple[str, int]]] | None) -> None:
        """Claim one (account, series) unless it is neither on the account's open list (a
        position from PositionOpened logs) nor held as fill records (a maker from Fill logs, or
        a position closed before a record came): claimed already (e.g. its log not indexed
        yet), or nothing held."""
        acct, m, e = item
        ch = self.clearinghouse
        key = (acct, m.registry.address, e)
        recorded = key in self._recorded
        listed = not recorded and (open_now is None or (m.registry.address, e) in open_now[acct])
        if not listed and not self._holds_records(m, acct, e):
            if not recorded:
                self._claimed.add(key)
            self._recorded.discard(key)
            return
        label = f"{m.name} {_date(e)} {_short(acct)}"
        receipt = self._send(rep, "claim", label, ch.claim, acct, m.registry, e)
        if receipt:
            rep.claimed += 1
            self._claimed.add(key)          # its PositionOpened (a records-only one) comes next
            self._recorded.discard(key)
            for ev in receipt.events.filter(ch.Claimed):
                rep.actions[-1].target += f" {self._usd(m, int(ev.pnl)):+,.2f}"

    def claim_all(self, batch: int | None = None) -> PassReport:
        """Claim every unclaimed position of a settled series, and every series an account holds
        only as fill records, `batch` at a time."""
        rep = self._begin()
        size = batch or self.batch
        todo = self.unclaimed()
        if not todo:
            return rep
        with step_progress(self.console, self.quiet) as progress:
            task = progress.add_task("claim", total=len(todo), note="")
            for i in range(0, len(todo), size):
                chunk = todo[i:i + size]
                open_now = self._still_open(a for a, _, _ in chunk)
                for item in chunk:
                    self._claim_one(rep, item, open_now)
                    progress.update(task, advance=1, note=f"batch {i // size + 1}")
        return rep
