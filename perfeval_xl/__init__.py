"""perfeval-xl: 预算绩效自评 — template workbook, Excel add-in and command line."""

__version__ = "0.1.0"
