"""The app shell: layout, navigation, form helpers and the auth guard. Knows no feature."""
