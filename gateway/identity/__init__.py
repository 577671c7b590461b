"""Who is calling the gateway: accounts and password hashes, server-side sessions, API tokens and
their scopes, the audit log, login throttling, revocation pushed to every live connection, and
the identities anonymous visitors call services with. The gateway's own data, and nothing else."""
