"""Fakes of the third parties outside the machine, at their HTTP boundary, for the tests and the
demo; never imported by the addon itself."""
