"""Covariate-shift monitoring (R11): the reference profile saved at training and the PSI job."""
