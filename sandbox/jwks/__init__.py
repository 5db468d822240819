"""A local stand-in for Google's and Apple's ID-token key sets (JWKS), and a signer of test ID tokens."""
