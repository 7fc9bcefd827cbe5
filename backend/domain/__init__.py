"""Pure domain logic: no Flask, no session."""
