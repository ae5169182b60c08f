// Intentionally empty: keeps a static library target valid when it has no sources yet.
