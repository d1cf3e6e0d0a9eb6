# pragma version ~=0.4.3
"""
@title MockVenue
@notice Test-only venue: a contract that names a registry and a clearinghouse (both settable),
        so the Clearinghouse's venue checks can be driven. Tests impersonate its address to
        call the venue-only entry points exactly (never an EOA as a venue). As a market's book
        it answers the Clearinghouse's fill-record calls (`IFillRecords`) with records a test
        sets (`set_records`), which its `fold` hands over and clears as a book does for the
        Clearinghouse's claim.
@custom:security A mock. Never deploy outside tests.
"""

from interfaces import IFillRecords

registry: public(address)        # SeriesRegistry this venue claims to trade on
clearinghouse: public(address)   # Clearinghouse this venue claims to book with


@deploy
def __init__(registry_: address, clearinghouse_: address):
    """
    @notice Points the venue at a registry and a clearinghouse.
    """
    self.registry = registry_
    self.clearinghouse = clearinghouse_


@external
def set_targets(registry_: address, clearinghouse_: address):
    """
    @notice Re-points the venue (tests of the registration checks).
    """
    self.registry = registry_
    self.clearinghouse = clearinghouse_


records: HashMap[address, HashMap[uint256, IFillRecords.Records]]   # owner -> expiry -> the unfolded records a test set


@external
def set_records(owner: address, expiry: uint256, r: IFillRecords.Records):
    """
    @notice Sets the unfolded fill records the Clearinghouse will find for `owner`.
    """
    self.records[owner][expiry] = r


@view
@external
def unfolded(owner: address, expiry: uint256) -> IFillRecords.Records:
    """
    @notice The records set for `owner` (the book's view).
    """
    return self.records[owner][expiry]


@external
def fold(owner: address, expiry: uint256) -> IFillRecords.Records:
    """
    @notice Hands the records set for `owner` over and clears them (what the book does for the
            Clearinghouse's claim; this mock never calls `fold_fills` itself).
    """
    r: IFillRecords.Records = self.records[owner][expiry]
    self.records[owner][expiry] = empty(IFillRecords.Records)
    return r
