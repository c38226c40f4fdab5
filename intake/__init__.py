"""intake: the back office of a software agency's support plans, run over email."""

__version__ = "0.1.0"
