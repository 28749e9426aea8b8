"""The `onething` command: one entry point that starts each part of the product or acts on it."""
