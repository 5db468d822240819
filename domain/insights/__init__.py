"""Goal insights (docs/domain.md §3.14): the rules, the model's output and its templates."""
