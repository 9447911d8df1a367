"""Reading the database in a browser: Datasette configuration, plugins, templates, serve and screenshots."""
