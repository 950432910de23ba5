"""Models of this app arrive with its issue; the app exists now so the floors hold."""
