"""The contributor workflow: new entries, import by DOI or URL, link checking and pull-request diffs."""
