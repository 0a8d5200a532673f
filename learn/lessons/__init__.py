"""Lessons as data: the model, the Markdown parser, the validator and the catalog."""
