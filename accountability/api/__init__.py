"""The accountability API: notices with their actions, measures, exemptions, statistics
and sweep runs, each part in its own module."""
