"""The instructor's dashboard: `grid` folds the learners' attempts into cells and summaries,
`board` builds the page and what a poll sends, `cells` records what each cell adds to the
polls' stats bar."""
