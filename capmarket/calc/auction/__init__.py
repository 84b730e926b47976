"""The capacity auction's clearing (約定処理, seed 004 120): pure, exact, no files.

``clearing.clear(...)`` takes the bids, the published demand curve, the supply outside the auction, the area
minimums and the cap on dispatch resources, and returns every bid's result, the clearing price of each market and
the area prices when the market splits. The rules are in ``docs/auction-format.md``; the command line that reads
and writes an auction case is ``capmarket clear-auction`` (``capmarket.calc.auction_cli``).
"""
