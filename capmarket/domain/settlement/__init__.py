"""Delivery-period settlement runs (精算処理): inputs, engine outputs, review, confirmation, adjustments."""
