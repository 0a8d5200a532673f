"""Học Số: short spoken lessons in digital skills for rural Vietnamese residents."""

__version__ = "0.1.0"
