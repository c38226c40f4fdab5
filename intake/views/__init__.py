"""What staff read: requests, their conversation and where they stand, as plain data for
the command line and its machine-readable output. Reads every stage; nothing below imports it."""
