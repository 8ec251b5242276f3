"""The instructor's dashboard: `board` builds the grid and its summaries, `cells` what one
learner's attempts at one challenge add up to."""
