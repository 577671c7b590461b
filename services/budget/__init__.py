"""Budget: the commune's money, traceable from budget line to need."""
