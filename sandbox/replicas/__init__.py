"""Several shop replicas on PostgreSQL and Redis behind nginx, with the soak's customers and
checks: `python -m sandbox.replicas` (`make replicas`)."""
