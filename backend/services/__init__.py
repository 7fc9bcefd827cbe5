"""Use cases. Each public function is one command: it runs inside ``transaction()``."""
