"""Budgeted allocation of service points, grid workers and volunteers."""
