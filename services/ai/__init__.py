"""AI-written texts: the model client every feature shares, and the texts built on it."""
