"""REST API of the campaign app: campaigns, task forces, supervision groups and chains."""
