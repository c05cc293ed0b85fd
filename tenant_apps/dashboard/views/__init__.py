"""The dashboard's pages. Views validate forms, call selectors and services, and render; they hold no rules."""
