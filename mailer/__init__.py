"""CoP Mailer: run a community of practice by email from one cop.toml."""

__version__ = "0.1.0"
