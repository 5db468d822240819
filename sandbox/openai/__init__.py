"""A local OpenAI-compatible chat-completions stub (see README.md and /work/wt/AI_CONTRACT.md).

Run it with `python -m sandbox.openai`, or in tests with `sandbox.openai.testing.running_stub`.
"""
