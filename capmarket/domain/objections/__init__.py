"""Objections (異議申し立て) of participants against their confirmed results, and the operator's answers."""
