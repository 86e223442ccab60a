"""gridplan: community grid planning."""
__version__ = "0.1.0"
