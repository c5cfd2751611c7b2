"""Domain actions of the projects app, one module per area, re-exported here."""
