"""Fitting business as usual to the tri-borough's observed 2010/11 activity and cost."""
