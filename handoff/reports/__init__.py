"""Scheduled daily and weekly reports: HTML and PDF files in the reports folder (REPORTS_DIR),
listed in the console (`GET /reports`). docs/reports.md says what is in one and when it is written.

- schedule.py: the periods (a local day; a Monday-to-Sunday week) and which are due;
- render.py, charts.py: the page, self-contained HTML with SVG charts;
- pdf.py: the page printed to PDF by headless Chromium;
- store.py: the folder, written atomically, listed newest first;
- writer.py: the statistics' page data → the files, idempotently.
"""
