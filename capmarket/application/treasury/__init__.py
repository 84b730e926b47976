"""Use cases of money movement (issue 11): bank statements in, transfers out, balances."""
