"""Build and supply-chain helpers run by the Dockerfile, make targets and CI (not shipped)."""
