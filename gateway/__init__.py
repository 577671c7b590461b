"""The gateway: identity, sessions, GraphQL, and the PWA. It owns accounts and nothing else."""
