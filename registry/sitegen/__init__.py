"""The static catalog site: Markdown pages (with escaped HTML blocks) plus mkdocs.yml, built by mkdocs-material."""
