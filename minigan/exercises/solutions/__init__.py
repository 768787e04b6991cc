"""Reference solutions: each stub of docs/exercises/ filled in. The checkers compare answers with these."""
