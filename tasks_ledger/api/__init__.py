"""REST API of the ledgers: ledgers, areas, items and their workflows, and review meetings."""
