"""The operator dashboard (`/admin`): server-rendered pages with SVG charts, and the actions
its command panel shares with the admin API."""
