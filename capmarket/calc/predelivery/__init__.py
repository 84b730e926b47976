"""Rules of the years before delivery (実需給期間前), pure and exact: the checks of a registered expected capacity,
the market-exit penalty, an effectiveness test's result and the outage-plan adjustment. Their constants are the
parameters of a versioned pre-delivery rule set (``rules.py``); nothing here reads a clock, a file or a database.
"""
