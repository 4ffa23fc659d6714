"""One adapter per product line: how to quote it, send it upstream and ask upstream about it."""
