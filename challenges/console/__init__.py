"""The learner's browser console: real kubectl, no shell, rules as data (see `rules`)."""
