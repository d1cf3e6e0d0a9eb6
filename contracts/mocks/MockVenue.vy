# pragma version ~=0.4.3
"""
@title MockVenue
@notice Test-only venue: a contract that names a registry and a clearinghouse (both settable),
        so the Clearinghouse's venue checks can be driven. Tests impersonate its address to
        call the venue-only entry points exactly (never an EOA as a venue).
@custom:security A mock. Never deploy outside tests.
"""

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
