"""Goal insights (docs/client-behaviour.md §6.2): the rules, the model's output and its templates."""
