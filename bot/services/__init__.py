"""The shop's own rules: orders, deposits, prices, the product lines and their upstreams. No
aiogram here: these services are told what to send through interfaces."""
