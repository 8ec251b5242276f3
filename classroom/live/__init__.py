"""What keeps the classroom's pages live: the per-classroom version moved where attempts and
check runs are written (versions, receivers), the learner's news (messages)."""
