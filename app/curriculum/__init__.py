"""The curriculum: lesson files, their checks and exercise generators (no torch, no database)."""
