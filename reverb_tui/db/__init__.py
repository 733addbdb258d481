"""Storage: engine, tables, migrations, repository functions. No Textual here."""
