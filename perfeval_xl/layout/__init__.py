"""The one description of the workbook: sheets, input cells, formulas, the 自评表 layout."""
