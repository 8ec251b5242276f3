"""Timed assessments: a classroom's graded sitting of some challenges, scored per objective."""
