"""What people look at: Jinja2 pages for the admin and the storefront, emails, static assets."""
