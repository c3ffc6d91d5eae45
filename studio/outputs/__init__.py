"""Outputs consume the program: the WHIP publisher, the rehearsal receiver, the recorder."""
