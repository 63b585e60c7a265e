"""The MongoDB store (the `mongo` extra): one client (`connection`, which imports PyMongo only
when opened) and the store's three parts (`executions`, `errors`, `catalogue` with its
`writes`) put together in `store`."""
