"""The position cap sees fill records (docs/architecture.md §16, "Listed lots").

A listed futures order's fills may be recorded without the Clearinghouse reading its maker's
position, so the cap is claimed when the order is listed: the owner's listed lots (its listed
orders and records since its last fold) plus its |futures position| must stay inside the
position cap, or the order rests unlisted (its fills are then booked and checked one by one).
Every other fill that adds exposure (a taker's, an unlisted maker's) leaves room for the
account's listed lots. So no sequence of fills, folded or not, takes a position past the cap.
"""

from __future__ import annotations

import ape
import pytest

from rangebound.constants import CALL, CANCEL_POSITION_CAP

from .book_helpers import place, rest

CAP = 3


@pytest.fixture
def capped(funded):
    """The market's position cap at CAP lots (the open-interest cap stays as deployed)."""
    env = funded
    env.ch.set_caps(env.registry, env.ch.oi_cap(env.registry), CAP, sender=env.deployer)
    return env


def whole(env, who) -> int:
    """The account's futures position, fill records included."""
    return env.ch.futures_position(who, env.registry, env.expiry)[0]


def recorded(env, who) -> int:
    return env.book.unfolded(who, env.expiry).lots


def test_rest__listed_lots_inside_cap__listed_and_recorded(capped, maker, taker):
    env = capped
    rest(env, maker, env.px(1), 2, False)
    rest(env, maker, env.px(2), 1, False)
    assert env.book.listed_lots(maker, env.expiry) == CAP
    place(env, taker, env.px(2), CAP, True)
    assert recorded(env, maker) == -CAP and whole(env, maker) == -CAP


def test_rest__listed_lots_past_cap__rests_unlisted_then_cancelled_at_its_fill(capped, maker, maker2, taker):
    """The order that would take the listed lots past the cap rests unlisted; when a taker
    reaches it after the listed one filled, the maker's records leave its cap one lot: that
    maker order is cancelled (reason 10) and the taker goes on. The whole position never
    passes the cap."""
    env = capped
    rest(env, maker, env.px(1), 2, False)
    over = rest(env, maker, env.px(2), 2, False)
    assert env.book.listed_lots(maker, env.expiry) == 2            # the second is not listed
    place(env, taker, env.px(1), 2, True)
    assert recorded(env, maker) == -2 and whole(env, maker) == -2
    tx = place(env, maker2, env.px(2), 2, True)
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(over, CANCEL_POSITION_CAP)]
    assert whole(env, maker) == -2 and whole(env, maker2) == 0


def test_rest__position_counts_with_listed_lots(capped, maker, maker2, taker):
    """A folded position takes cap room too: short 2, the maker's next 2-lot ask is unlisted."""
    env = capped
    rest(env, maker2, env.px(0), 2, True)
    place(env, maker, env.px(0), 2, False)                          # maker short 2 (taker side)
    rest(env, maker, env.px(3), 2, False)
    assert env.book.listed_lots(maker, env.expiry) == 0
    rest(env, maker, env.px(3), 1, False)                           # 2 + 1 = CAP: listed
    assert env.book.listed_lots(maker, env.expiry) == 1
    place(env, taker, env.px(3), 3, True)
    assert whole(env, maker) == -CAP                                # the unlisted 2 cancelled


def test_take__listed_lots_leave_no_room__reverts_position_cap(capped, maker, maker2):
    """A taker whose own listed asks could fill its cap cannot sell more: if they filled, its
    position would pass the cap. Its buy (reducing the worst case) still goes through."""
    env = capped
    rest(env, maker, env.px(5), 2, False)                           # listed: 2 lots of room used
    rest(env, maker2, env.px(0), 2, True)
    with ape.reverts("clearinghouse: position cap"):
        place(env, maker, env.px(0), 2, False)
    place(env, maker, env.px(0), 1, False)                          # 1 + 2 = CAP: fine
    assert whole(env, maker) == -1


def test_fold__listed_lots_reset_to_the_listed_orders_still_resting(capped, maker, taker, stranger):
    """A cancel leaves the listed lots as they were (an upper bound: no extra write); anyone's
    fold resets them to the listed orders still resting and books the records."""
    env = capped
    gone = rest(env, maker, env.px(1), 1, False)
    rest(env, maker, env.px(2), 1, False)
    rest(env, maker, env.px(4), 1, False)
    env.book.cancel_order(gone, sender=maker)
    place(env, taker, env.px(2), 1, True)                           # one recorded
    assert env.book.listed_lots(maker, env.expiry) == 3
    assert rest(env, maker, env.px(5), 1, False) != 0
    assert env.book.listed_lots(maker, env.expiry) == 3             # unlisted: 1 + 3 > CAP
    env.book.fold(maker, env.expiry, sender=stranger)
    assert env.book.listed_lots(maker, env.expiry) == 1             # the order at px(4)
    assert whole(env, maker) == -1


def test_replace_order__more_lots_past_cap__unlisted_fewer_stay_listed(capped, maker, taker, stranger):
    """A listed re-quote lists only lots above its old ones; past the cap it rests unlisted
    and, until a fold resets the listed lots, its own old lots still take cap room (an upper
    bound): its fill is then cancelled (reason 10). After anyone's fold it is booked."""
    env = capped
    oid = rest(env, maker, env.px(4), 2, False)
    env.book.replace_order(oid, env.px(3), 1, sender=maker)          # fewer lots: nothing new listed
    assert env.book.listed_lots(maker, env.expiry) == 2
    env.book.replace_order(oid, env.px(3), 3, sender=maker)          # 2 + 2 more > CAP: unlisted
    assert env.book.listed_lots(maker, env.expiry) == 2
    env.book.fold(maker, env.expiry, sender=stranger)
    assert env.book.listed_lots(maker, env.expiry) == 0              # not listed any more: dropped
    place(env, taker, env.px(3), 3, True)
    assert recorded(env, maker) == 0 and whole(env, maker) == -3     # booked (checked), not recorded


def test_take__stale_listed_lots__taker_folded_first(capped, maker, maker2):
    """A cancel leaves its lots in the listed lots; the taker's own order folds them exact
    first, so cancelled orders never take its cap room."""
    env = capped
    gone = rest(env, maker, env.px(5), CAP, False)
    env.book.cancel_order(gone, sender=maker)
    assert env.book.listed_lots(maker, env.expiry) == CAP
    rest(env, maker2, env.px(0), CAP, True)
    place(env, maker, env.px(0), CAP, False)
    assert whole(env, maker) == -CAP and env.book.listed_lots(maker, env.expiry) == 0


def test_set_caps__lowered__listed_orders_keep_the_room_they_claimed(capped, maker, maker2, taker, stranger):
    """A lowered cap applies to what is listed, taken or booked after it: the orders listed
    before keep the room they claimed when they rested, as their reserve keeps covering them."""
    env = capped
    rest(env, maker, env.px(1), 2, False)
    env.ch.set_caps(env.registry, env.ch.oi_cap(env.registry), 1, sender=env.deployer)
    rest(env, maker, env.px(2), 1, False)
    assert env.book.listed_lots(maker, env.expiry) == 2             # 2 + 1 > 1: unlisted
    place(env, taker, env.px(1), 1, True)                           # a partial fill: booked, not checked
    place(env, maker2, env.px(1), 1, True)                          # the rest: recorded
    assert whole(env, maker) == -2
    env.fund(stranger, env.hi * 10)
    tx = place(env, stranger, env.px(2), 1, True)
    assert [c.reason for c in tx.decode_logs(env.book.OrderCancelled)] == [CANCEL_POSITION_CAP]
    assert whole(env, maker) == -2


def test_view__listed_lots__options_never_listed(capped, maker):
    env = capped
    rest(env, maker, env.tick * 5, 2, False, kind=CALL, strike=env.strike())
    assert env.book.listed_lots(maker, env.expiry) == 0
