"""Account management: plan advice from usage, the introduction to the plans, check-ins."""
