"""Reference models: Python mirrors of the contracts' maths, bit for bit on integers (calendar,
ranges, margin; the options pool's pricing when it lands). No chain, no ape."""
