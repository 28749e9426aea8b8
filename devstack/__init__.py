"""`onething dev`: the embedded development stack, its parts started in order and restarted when they die."""
