"""Documents made from the cockpit's data for handing out: the weekly meeting's briefing
(PowerPoint deck and Excel workbook). No Streamlit: the page and the command line share it."""
