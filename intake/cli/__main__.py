"""`python -m intake.cli`."""

from intake.cli.main import main

main()
