"""What a format's compiler and its reader share: where each address sits, and the names of the identity.

Compilers (``formgen.compile``) write by these rules and readers (``formgen.read``) read by them; readers never
import compilers.
"""
