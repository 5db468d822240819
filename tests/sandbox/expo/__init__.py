"""Tests of the Expo sandbox (sandbox/expo/); a bare `§N` here is a section of docs/push-contract.md."""
