"""Classrooms: instructors, invite codes, assignments (see issue 7)."""
