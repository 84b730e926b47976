"""Web forms, one module per bounded context."""
