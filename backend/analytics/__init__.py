"""Analytics (issue 14): hourly rollups of usage records, runs and tool calls, and the queries of
the analytics page over them. No Reflex here; every query checks the acting member."""
