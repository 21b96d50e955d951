"""The platform layer: tenancy, accounts, shared UI, mail and notifications. It knows no feature."""
