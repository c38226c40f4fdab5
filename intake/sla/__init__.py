"""SLA clocks, warnings, breaches and the daily digest."""
