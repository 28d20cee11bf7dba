"""Spreadsheet output shared by every app: the formula rule for cells, and a streaming .xlsx writer.

A plain package (no models, no app): importing it needs nothing but the standard library.
"""
