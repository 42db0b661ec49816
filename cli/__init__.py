"""The `wsic` command's parts beside wsic.py: what several commands share, and the effect searches."""
